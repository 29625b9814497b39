//! Full-text search over long-term memories and stored messages at the sizes a long-lived
//! personal assistant reaches: 10k and then 100k memories, each beside 1M stored messages,
//! in Chinese, Japanese, Korean and English (docs/benchmarks.md, "Memory and message
//! search"). Reports the import rates (`import_session`, `save_memory`), the database's size,
//! and by kind of query the latency of `Store::search_memories(q, None, 5)` and
//! `Store::search_messages(q, 5)` (and of recall for a new message, which uses the same
//! indexes): wall time and this thread's CPU time, the latter being what a query costs
//! however busy the machine is. Then, on a second read-only connection to the same file,
//! where the time goes: the store's lookups against the previous ones (Latin words through
//! the trigram index; recall's OR of all terms ranked by bm25), what each costs, and how
//! much of what the previous ones found the store still finds.
//!
//! `cargo bench -p pincer-core --bench memory_search` (release). Knobs:
//! `BENCH_MEMORIES=10000,100000` (the sizes, ascending), `BENCH_MESSAGES=1000000` (50 a
//! session), `BENCH_QUERIES=200` (per kind; the diagnosis takes at most 100),
//! `BENCH_DIAGNOSE=0` (skip the diagnosis), `BENCH_MEMORY_DB_DIR=/path` (build the database
//! there and reuse it on the next run, adding only what is missing; a size below what it
//! already holds is skipped), otherwise a temporary directory deleted at the end. A quick run:
//! `BENCH_MEMORIES=2000 BENCH_MESSAGES=50000 BENCH_QUERIES=30`.
//!
//! The corpus is generated (a fixed-seed PRNG, so every run is the same): facts and chat
//! filled from templates with people, places, things, foods, file paths, coordinates, phone
//! numbers and dates, each drawn Zipf-distributed from a vocabulary whose head is real words
//! and whose tail is generated names, so a few terms are very common and most are rare.
//!
//! Only one connection is busy at a time: this SQLite build's page caches share one budget
//! (`SQLITE_ENABLE_MEMORY_MANAGEMENT`), and two connections taking turns at big queries
//! evict each other's pages, which the app, with one connection, never does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/measure.rs"]
mod measure;

use measure::cpu_ms;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use pincer_core::model::Role;
use pincer_core::store::search_terms::{Lookup, RecallQuery, SearchQuery, is_cjk};
use pincer_core::store::{
    ImportedMessage, ImportedSession, NewMemory, Provenance, Saved, Store, rfc3339,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

const MESSAGES_PER_SESSION: usize = 50;
const BUDGET_MS: f64 = 10.0;
/// What the store asks each index for (`CANDIDATES` in store/memory.rs).
const CANDIDATES: i64 = 500;

// ---------------------------------------------------------------------------------------
// A small deterministic PRNG (splitmix64) and Zipf-distributed vocabularies.

struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Words with Zipf (s = 1) frequencies by position: the first are common, the tail rare.
struct Vocab {
    words: Vec<String>,
    cdf: Vec<f64>,
}

impl Vocab {
    fn new(words: impl IntoIterator<Item = String>) -> Vocab {
        let mut seen = HashSet::new();
        let words: Vec<String> = words
            .into_iter()
            .filter(|w| !w.is_empty() && seen.insert(w.clone()))
            .collect();
        let mut total = 0.0;
        let cdf = (0..words.len())
            .map(|rank| {
                total += 1.0 / (rank as f64 + 1.0);
                total
            })
            .collect();
        Vocab { words, cdf }
    }

    fn zipf(&self, rng: &mut Rng) -> &str {
        let target = rng.unit() * self.cdf[self.cdf.len() - 1];
        let i = self.cdf.partition_point(|c| *c < target);
        &self.words[i.min(self.words.len() - 1)]
    }

    fn any(&self, rng: &mut Rng) -> &str {
        &self.words[rng.below(self.words.len())]
    }

    /// What a user would search for: half as often as the corpus mentions it, half any
    /// word of the vocabulary (mostly rare ones).
    fn query(&self, rng: &mut Rng) -> &str {
        if rng.chance(0.5) {
            self.zipf(rng)
        } else {
            self.any(rng)
        }
    }
}

fn list(words: &str) -> Vec<String> {
    words.split_whitespace().map(str::to_owned).collect()
}

/// Items separated by `|` (for items with spaces in them).
fn phrases(items: &str) -> Vec<String> {
    items.split('|').map(str::to_owned).collect()
}

fn chars(pool: &str) -> Vec<char> {
    pool.chars().filter(|c| !c.is_whitespace()).collect()
}

fn word_from(rng: &mut Rng, pool: &[char], lo: usize, hi: usize) -> String {
    (0..rng.range(lo, hi)).map(|_| *rng.pick(pool)).collect()
}

/// Real words first (the common head), then `extra` generated ones (the rare tail),
/// shuffled so the generated ones are not ordered by how they were made.
fn head_and_tail(head: Vec<String>, extra: usize, mut make: impl FnMut() -> String) -> Vocab {
    let mut tail: Vec<String> = (0..extra).map(|_| make()).collect();
    let mut rng = Rng::new(7, tail.len() as u64);
    for i in (1..tail.len()).rev() {
        tail.swap(i, rng.below(i + 1));
    }
    Vocab::new(head.into_iter().chain(tail))
}

// ---------------------------------------------------------------------------------------
// The corpus: four languages of templates and vocabularies, plus shared numbers and paths.

struct Lang {
    people: Vocab,
    places: Vocab,
    things: Vocab,
    foods: Vocab,
    activities: Vocab,
    locations: Vocab,
    weekdays: &'static [&'static str],
    memories: &'static [&'static str],
    user: &'static [&'static str],
    assistant: &'static [&'static str],
    /// Between sentences of one message.
    sep: &'static str,
}

struct Shared {
    codes: Vocab,
    files: Vocab,
    dirs: Vocab,
    coords: Vocab,
    phones: Vocab,
}

struct Corpus {
    /// zh, ja, ko, en.
    langs: [Lang; 4],
    shared: Shared,
}

const ZH: usize = 0;
const JA: usize = 1;
const KO: usize = 2;
const EN: usize = 3;

/// Share of memories and sessions per language: zh, ja, ko, en.
const LANG_WEIGHTS: [f64; 4] = [0.35, 0.15, 0.15, 0.35];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const EN_SYLLABLES: &[&str] = &[
    "ka", "ven", "dor", "mi", "tal", "ros", "bel", "an", "qui", "lor", "fen", "sar", "zed", "ith",
    "um", "ber", "cal", "lo", "nex", "tri", "vo", "ra", "pel", "mon", "gal", "ter", "so", "bri",
    "du", "hal", "jor", "kes", "mar", "nim", "ost", "pra", "rue", "sil", "tov", "wen",
];

fn en_word(rng: &mut Rng) -> String {
    (0..rng.range(2, 3))
        .map(|_| *rng.pick(EN_SYLLABLES))
        .collect()
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn build_corpus() -> Corpus {
    let mut g = Rng::new(1, 1);

    // Chinese.
    let zh_surnames = chars(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤",
    );
    let zh_given = chars(
        "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕彬鹏辉建国文斌宇浩凯晨欣怡梓涵子轩雨萱思远嘉豪一诺若曦佳琪俊熙博天佑昊然",
    );
    let zh_place_chars =
        chars("东南西北中新安平长青山水河湖海林花园阳光明华春江云龙凤金银宝天景月星石桥清泉松竹梅");
    let zh_people = head_and_tail(Vec::new(), 6000, || {
        let mut name = rng_pick_char(&mut g, &zh_surnames).to_string();
        name.push_str(&word_from(&mut g, &zh_given, 1, 2));
        name
    });
    let zh_places = head_and_tail(
        list(
            "北京 上海 杭州 深圳 广州 成都 西安 南京 苏州 重庆 武汉 厦门 青岛 大理 丽江 桂林 三亚 天津 长沙 昆明 哈尔滨 西湖 外滩 故宫 长城 颐和园 鼓浪屿 黄山 九寨沟 张家界 浦东机场 虹桥站 中关村 望京 国贸 陆家嘴 南山 福田 宽窄巷子 春熙路",
        ),
        3000,
        || {
            let suffixes = [
                "路",
                "街",
                "村",
                "镇",
                "公园",
                "大厦",
                "广场",
                "小区",
                "医院",
                "中学",
                "咖啡馆",
                "餐厅",
            ];
            word_from(&mut g, &zh_place_chars, 2, 2) + *g.pick(&suffixes)
        },
    );
    let zh_things = head_and_tail(
        list(
            "护照 身份证 钥匙 雨伞 充电器 笔记本电脑 手机 耳机 相机 钱包 驾照 银行卡 户口本 合同 发票 体检报告 行李箱 保温杯 眼镜 手表",
        ),
        1500,
        || {
            let kinds = [
                "牌手表",
                "耳机",
                "相机",
                "音箱",
                "背包",
                "键盘",
                "显示器",
                "平板",
            ];
            word_from(&mut g, &zh_place_chars, 2, 2) + *g.pick(&kinds)
        },
    );
    let zh = Lang {
        people: zh_people,
        places: zh_places,
        things: zh_things,
        foods: Vocab::new(list(
            "火锅 小笼包 饺子 烤鸭 麻辣烫 寿司 拉面 咖啡 绿茶 奶茶 红烧肉 酸菜鱼 米线 螺蛳粉 豆浆 油条 煎饼果子 牛肉面 花生 海鲜 芒果 榴莲",
        )),
        activities: Vocab::new(list(
            "散步 跑步 游泳 爬山 打羽毛球 看电影 喝咖啡 吃饭 开会 逛街 骑车 练瑜伽 学英语 钓鱼 拍照",
        )),
        locations: Vocab::new(list(
            "书房抽屉里 卧室衣柜里 办公室 车里 玄关柜子里 床头柜里 公司储物柜 客厅书架上 行李箱夹层 保险箱里",
        )),
        weekdays: &["一", "二", "三", "四", "五", "六", "日"],
        memories: &[
            "{p}的生日是{m}月{d}日",
            "我每周{wd}去{pl}{a}",
            "我喜欢{f}，不喜欢{f2}",
            "{p}住在{pl}附近",
            "{t}放在{loc}",
            "我的{t}的照片存在{path}",
            "{p}的电话是{phone}",
            "下次去{pl}要记得带{t}",
            "{p}对{f}过敏",
            "项目{code}的截止日期是{date}",
            "{date}和{p}在{pl}{a}",
            "家里的坐标是{coord}",
            "{p}是我的同事，在{pl}工作",
            "我每天早上喝{f}",
            "{flight}航班{date}{time}从{pl}起飞",
            "上个月在{pl}花了{money}",
        ],
        user: &[
            "明天{pl}天气怎么样？",
            "帮我查一下去{pl}的高铁",
            "提醒我{date}给{p}打电话",
            "{p}的生日是哪天？",
            "我的{t}放在哪里了",
            "帮我给{p}写封邮件，说{a}改到周{wd}",
            "你还记得我喜欢吃什么吗",
            "周末想去{pl}{a}，有什么推荐",
            "好的，谢谢你",
            "把{file}发给{p}",
            "我们{time}在{pl}见面吧",
            "今天在{pl}吃了{f}，还不错",
        ],
        assistant: &[
            "好的，我已经记下来了：{p}的生日是{m}月{d}日。",
            "明天{pl}多云，气温{n}到{n2}度，适合{a}。",
            "根据你之前说的，{t}放在{loc}。",
            "我找到了{n}趟去{pl}的高铁，最早的一班{time}出发。",
            "已经设置提醒，{date}{time}给{p}打电话。",
            "你之前提到过喜欢{f}，{pl}附近有几家不错的店。",
            "文件{file}已经发给{p}了。",
            "没问题，我会在周{wd}之前处理好{t}的事情。",
            "项目{code}的资料在{path}，截止日期是{date}。",
            "这是我们上次讨论的结果，你可以再确认一下。",
        ],
        sep: "",
    };

    // Japanese.
    let ja_surnames = list(
        "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水 山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本",
    );
    let ja_given = list(
        "翔太 健太 大輔 拓也 直樹 陽菜 結衣 美咲 さくら 花子 太郎 ゆうき あおい はると りく ひなた そうた めい ゆな 蓮 悠真 湊 陽翔 凛 葵 芽依 結菜 莉子 美月 さとし けんじ ともみ なおこ まゆみ ひろし",
    );
    let mut ja_people_words = Vec::new();
    for surname in &ja_surnames {
        ja_people_words.push(surname.clone());
    }
    for surname in &ja_surnames {
        for given in &ja_given {
            ja_people_words.push(format!("{surname}{given}"));
        }
    }
    let ja_kanji =
        chars("山川田中本村井上下木林森谷口原野宮島崎橋沢松竹梅桜花石岡藤西東南北大小新古高長");
    let katakana = chars(
        "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワンガギグゲゴザジズゼゾダデドバビブベボパピプペポ",
    );
    let ja = Lang {
        people: Vocab::new(ja_people_words),
        places: head_and_tail(
            list(
                "東京 大阪 京都 横浜 名古屋 札幌 福岡 神戸 奈良 鎌倉 箱根 渋谷 新宿 池袋 秋葉原 浅草 銀座 六本木 表参道 吉祥寺 下北沢 中目黒 品川 上野 梅田 難波 天神 軽井沢 富士山 沖縄",
            ),
            2000,
            || {
                let suffixes = ["駅", "町", "公園", "通り", "神社", "温泉", "商店街"];
                word_from(&mut g, &ja_kanji, 2, 2) + *g.pick(&suffixes)
            },
        ),
        things: head_and_tail(
            list(
                "パスポート 鍵 傘 充電器 ノートパソコン スマホ イヤホン カメラ 財布 運転免許証 保険証 印鑑 通帳 契約書 領収書 眼鏡 腕時計 スーツケース 水筒 マイナンバーカード",
            ),
            1500,
            || {
                let kinds = ["のカメラ", "のイヤホン", "のタブレット", "のリュック", ""];
                word_from(&mut g, &katakana, 3, 5) + *g.pick(&kinds)
            },
        ),
        foods: Vocab::new(list(
            "ラーメン 寿司 天ぷら うどん そば 焼き鳥 カレー コーヒー 抹茶 たこ焼き お好み焼き 刺身 納豆 餃子 とんかつ",
        )),
        activities: Vocab::new(list(
            "散歩 ジョギング 水泳 登山 映画鑑賞 読書 料理 ヨガ 英会話 釣り 写真撮影 買い物 会議 ランチ",
        )),
        locations: Vocab::new(list(
            "机の引き出し 寝室のクローゼット 会社のロッカー 車の中 玄関の棚 本棚 金庫 スーツケースのポケット",
        )),
        weekdays: &["月", "火", "水", "木", "金", "土", "日"],
        memories: &[
            "{p}さんの誕生日は{m}月{d}日",
            "毎週{wd}曜日に{pl}で{a}をする",
            "{t}は{loc}にある",
            "{f}が好きで、{f2}は苦手",
            "{p}さんは{pl}に住んでいる",
            "{t}のスキャンは{path}に保存した",
            "{p}さんの電話番号は{phone}",
            "{p}さんは{f}アレルギー",
            "プロジェクト{code}の締め切りは{date}",
            "実家の座標は{coord}",
            "{flight}便は{date}の{time}に{pl}から出発",
        ],
        user: &[
            "明日の{pl}の天気は？",
            "{p}さんの誕生日はいつだっけ",
            "{t}をどこに置いたか覚えてる？",
            "{date}に{p}さんと{a}の予定を入れて",
            "{pl}でおすすめの{f}の店を教えて",
            "ありがとう、助かった",
            "{file}を{p}さんに送って",
        ],
        assistant: &[
            "{p}さんの誕生日は{m}月{d}日です。",
            "明日の{pl}は晴れ、最高気温は{n}度の予報です。",
            "{t}は{loc}にあると以前おっしゃっていました。",
            "{date}の{time}に{p}さんとの{a}を登録しました。",
            "{pl}の近くに{f}の人気店が{n}軒あります。",
            "{file}を{p}さんに送信しました。",
            "承知しました。{wd}曜日までに{t}の件を確認します。",
        ],
        sep: "",
    };

    // Korean.
    let ko_surnames = chars("김이박최정강조윤장임한오서신권황안송류홍");
    let ko_syllables =
        chars("민서지현수준영우진하은유도윤예아연성재호혜정원태경희승주동채소석훈상철미선");
    let ko_place_syllables = chars("가나다라마바사아자차카타파하강남동서산천성원주진안평양화");
    let ko = Lang {
        people: head_and_tail(Vec::new(), 5000, || {
            rng_pick_char(&mut g, &ko_surnames).to_string()
                + &word_from(&mut g, &ko_syllables, 2, 2)
        }),
        places: head_and_tail(
            list(
                "서울 부산 인천 대구 대전 광주 제주도 강남 홍대 명동 이태원 여의도 잠실 신촌 해운대 경복궁 남산타워 한강공원 수원 전주 경주 속초 판교 성수동 을지로",
            ),
            2000,
            || {
                let suffixes = ["동", "역", "공원", "시장", "카페", "병원", "학교"];
                word_from(&mut g, &ko_place_syllables, 2, 2) + *g.pick(&suffixes)
            },
        ),
        things: head_and_tail(
            list(
                "여권 열쇠 우산 충전기 노트북 휴대폰 이어폰 카메라 지갑 운전면허증 신분증 도장 통장 계약서 영수증 안경 손목시계 캐리어 텀블러",
            ),
            1000,
            || {
                let kinds = ["폰", "워치", "패드", "카메라"];
                word_from(&mut g, &ko_place_syllables, 2, 3) + *g.pick(&kinds)
            },
        ),
        foods: Vocab::new(list(
            "김치찌개 된장찌개 비빔밥 불고기 삼겹살 떡볶이 냉면 치킨 커피 라면 김밥 순두부 갈비 파전 막걸리",
        )),
        activities: Vocab::new(list(
            "산책 조깅 수영 등산 영화 독서 요리 요가 영어공부 낚시 사진 쇼핑 회의 점심",
        )),
        locations: Vocab::new(list(
            "책상서랍 침실옷장 회사사물함 차안 현관선반 책장 금고 캐리어주머니",
        )),
        weekdays: &["월", "화", "수", "목", "금", "토", "일"],
        memories: &[
            "{p}의 생일은 {m}월 {d}일",
            "매주 {wd}요일에 {pl}에서 {a}",
            "{t}은 {loc}에 있어요",
            "{f}를 좋아하고 {f2}는 싫어해요",
            "{p}는 {pl}에 살아요",
            "{t} 사본은 {path}에 저장했어요",
            "{p} 전화번호는 {phone}",
            "{p}는 {f} 알레르기가 있어요",
            "프로젝트 {code} 마감일은 {date}",
            "집 좌표는 {coord}",
        ],
        user: &[
            "내일 {pl} 날씨 어때?",
            "{p} 생일이 언제였지?",
            "{t} 어디에 뒀는지 기억나?",
            "{date}에 {p}랑 {a} 일정 잡아줘",
            "{pl} 근처 {f} 맛집 추천해줘",
            "고마워요, 도움이 됐어요",
            "{file} {p}한테 보내줘",
        ],
        assistant: &[
            "{p}의 생일은 {m}월 {d}일이에요.",
            "내일 {pl}는 맑고 최고 기온은 {n}도예요.",
            "{t}은 {loc}에 있다고 하셨어요.",
            "{date} {time}에 {p}와 {a} 일정을 추가했어요.",
            "{pl} 근처에 {f} 맛집이 {n}곳 있어요.",
            "{file} 파일을 {p}에게 보냈어요.",
        ],
        sep: " ",
    };

    // English.
    let first = list(
        "Alice Bob Carol David Emma Frank Grace Henry Isabel Jack Karen Liam Mia Noah Olivia Paul Quinn Rachel Sam Tara Umar Victor Wendy Xavier Yuki Zoe Ana Ben Chloe Daniel Ethan Fiona George Hannah Ian Julia Kevin Laura Marco Nina Oscar Priya Ravi Sofia Tom Uma Vera Will",
    );
    let last = list(
        "Smith Johnson Brown Garcia Miller Davis Wilson Moore Taylor Anderson Thomas Jackson White Harris Martin Thompson Martinez Robinson Clark Lewis Walker Hall Young King Wright Lopez Hill Scott Green Adams Baker Nelson Carter Mitchell Perez Roberts Turner Phillips Campbell Parker Evans Edwards Collins Stewart Morris Murphy Cook Rogers Patel Nguyen",
    );
    let mut names = Vec::new();
    for f in &first {
        for l in &last {
            names.push(format!("{f} {l}"));
        }
    }
    for i in (1..names.len()).rev() {
        names.swap(i, g.below(i + 1));
    }
    let en = Lang {
        people: Vocab::new(names),
        places: head_and_tail(
            phrases(
                "London|Paris|Berlin|Tokyo|Seoul|Shanghai|Lisbon|Madrid|Rome|Amsterdam|Boston|Seattle|Chicago|Austin|Denver|Portland|Vancouver|Toronto|Sydney|Melbourne|San Francisco|New York|Golden Gate Park|Central Park|the office|the gym|the airport|Brooklyn|Oakland|Berkeley",
            ),
            3000,
            || {
                let suffixes = [
                    "Street", "Avenue", "Park", "Cafe", "Library", "Station", "Market", "Clinic",
                ];
                format!("{} {}", capitalized(&en_word(&mut g)), g.pick(&suffixes))
            },
        ),
        things: head_and_tail(
            phrases(
                "passport|keys|umbrella|charger|laptop|phone|headphones|camera|wallet|driver's license|insurance card|contract|receipts|glasses|watch|suitcase|water bottle|tax return|birth certificate|spare key",
            ),
            1500,
            || {
                let kinds = [
                    "router", "keyboard", "monitor", "backpack", "tablet", "speaker", "drone",
                ];
                format!("{} {}", capitalized(&en_word(&mut g)), g.pick(&kinds))
            },
        ),
        foods: Vocab::new(phrases(
            "sushi|ramen|pizza|tacos|green tea|coffee|espresso|pad thai|curry|dumplings|burritos|pho|salad|bagels|oatmeal|dark chocolate|peanuts|shellfish",
        )),
        activities: Vocab::new(phrases(
            "running|swimming|hiking|yoga|climbing|piano lessons|tennis|cycling|book club|Spanish class|team standup|dentist appointment",
        )),
        locations: Vocab::new(phrases(
            "the top drawer|the blue backpack|the hall closet|the glovebox|my desk at work|the safe|the kitchen cabinet|the bookshelf",
        )),
        weekdays: &[
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ],
        memories: &[
            "{p}'s birthday is on {month} {d}",
            "every {wd} I go {a} at {pl}",
            "my {t} is in {loc}",
            "I prefer {f} over {f2}",
            "{p} lives in {pl}",
            "a scan of my {t} is at {path}",
            "{p}'s phone number is {phone}",
            "{p} is allergic to {f}",
            "project {code} is due on {date}; the repo is at {path}",
            "the cabin is at {coord}",
            "flight {flight} to {pl} leaves at {time} on {date}",
            "the wifi password at {pl} is {code}{n}",
            "{p} works with me on {code}",
            "I spent {money} at {pl} last month",
        ],
        user: &[
            "what's the weather in {pl} tomorrow?",
            "when is {pf}'s birthday?",
            "where did I put my {t}?",
            "remind me to call {pf} on {date}",
            "book a table for {n} at a {f} place near {pl}",
            "send {file} to {pf}",
            "thanks!",
            "can you summarize the meeting notes about {code}",
            "let's meet {pf} at {pl} at {time}",
            "I had {f} at {pl} today, it was great",
        ],
        assistant: &[
            "Sure, I've saved that: {p}'s birthday is on {month} {d}.",
            "Tomorrow in {pl} it will be cloudy with a high of {n} degrees, good for {a}.",
            "You mentioned your {t} is in {loc}.",
            "I found {n} {f} places near {pl}; the closest is {n2} minutes away.",
            "Done: I sent {file} to {pf} and set a reminder for {date} at {time}.",
            "The project {code} is due on {date}. The latest draft is at {path}.",
            "Here is what we discussed last time; let me know if anything changed.",
            "I could not find anything about that in your notes.",
        ],
        sep: " ",
    };

    // Numbers and paths, shared by all languages.
    let codes = head_and_tail(Vec::new(), 3000, || en_word(&mut g));
    let exts = ["pdf", "docx", "xlsx", "png", "jpg", "md", "txt", "csv"];
    let files = head_and_tail(
        list(
            "id.pdf passport.pdf resume.docx lease.pdf tax-2025.pdf budget.xlsx notes.md photo.jpg contract.pdf invoice.pdf",
        ),
        2500,
        || {
            let name = codes.any(&mut g).to_owned();
            let ext = g.pick(&exts);
            if g.chance(0.5) {
                format!("{name}-{}.{ext}", g.range(1, 999))
            } else {
                format!("{name}.{ext}")
            }
        },
    );
    let dirs = head_and_tail(
        list("~/docs ~/Documents/personal ~/Downloads ~/Pictures/2025 ~/Desktop D:/backup"),
        300,
        || format!("/home/me/projects/{}", codes.any(&mut g)),
    );
    let coords = head_and_tail(vec!["37.759, -122.428".to_owned()], 1500, || {
        let lat = g.range(20_000, 60_000) as f64 / 1000.0;
        let lon = g.range(0, 270_000) as f64 / 1000.0 - 130.0;
        format!("{lat:.3}, {lon:.3}")
    });
    let phones = head_and_tail(Vec::new(), 3000, || match g.below(4) {
        0 => format!("+1 415-555-{:04}", g.below(10_000)),
        1 => format!("138-{:04}-{:04}", g.below(10_000), g.below(10_000)),
        2 => format!("090-{:04}-{:04}", g.below(10_000), g.below(10_000)),
        _ => format!("010-{:04}-{:04}", g.below(10_000), g.below(10_000)),
    });
    Corpus {
        langs: [zh, ja, ko, en],
        shared: Shared {
            codes,
            files,
            dirs,
            coords,
            phones,
        },
    }
}

fn rng_pick_char(rng: &mut Rng, pool: &[char]) -> char {
    *rng.pick(pool)
}

fn pick_lang(rng: &mut Rng) -> usize {
    let mut x = rng.unit();
    for (i, w) in LANG_WEIGHTS.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    EN
}

fn date(rng: &mut Rng) -> String {
    format!(
        "{}-{:02}-{:02}",
        rng.range(2024, 2027),
        rng.range(1, 12),
        rng.range(1, 28)
    )
}

impl Corpus {
    /// `template` with each `{slot}` filled.
    fn fill(&self, lang: usize, template: &str, rng: &mut Rng) -> String {
        let l = &self.langs[lang];
        let s = &self.shared;
        let mut out = String::with_capacity(template.len() * 2);
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let end = start + rest[start..].find('}').unwrap();
            let value = match &rest[start + 1..end] {
                "p" => l.people.zipf(rng).to_owned(),
                "pf" => l
                    .people
                    .zipf(rng)
                    .split(' ')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                "pl" => l.places.zipf(rng).to_owned(),
                "t" => l.things.zipf(rng).to_owned(),
                "f" | "f2" => l.foods.zipf(rng).to_owned(),
                "a" => l.activities.zipf(rng).to_owned(),
                "loc" => l.locations.zipf(rng).to_owned(),
                "wd" => (*rng.pick(l.weekdays)).to_owned(),
                "m" => rng.range(1, 12).to_string(),
                "d" => rng.range(1, 28).to_string(),
                "n" | "n2" => rng.range(2, 40).to_string(),
                "month" => (*rng.pick(&MONTHS)).to_owned(),
                "date" => date(rng),
                "time" => format!("{}:{:02}", rng.range(6, 22), rng.below(4) * 15),
                "file" => s.files.zipf(rng).to_owned(),
                "path" => format!("{}/{}", s.dirs.zipf(rng), s.files.zipf(rng)),
                "coord" => s.coords.zipf(rng).to_owned(),
                "phone" => s.phones.zipf(rng).to_owned(),
                "code" => s.codes.zipf(rng).to_owned(),
                "flight" => format!(
                    "{}{}",
                    rng.pick(&["UA", "NH", "CA", "KE", "JL", "MU"]),
                    rng.range(100, 2999)
                ),
                "money" => match lang {
                    ZH => format!("{}元", rng.range(20, 20_000)),
                    JA => format!("{}円", rng.range(500, 200_000)),
                    KO => format!("{}원", rng.range(5_000, 2_000_000)),
                    _ => format!("${}", rng.range(5, 5_000)),
                },
                other => panic!("unknown slot {other}"),
            };
            out.push_str(&value);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn memory(&self, rng: &mut Rng) -> NewMemory {
        let lang = pick_lang(rng);
        let template = *rng.pick(self.langs[lang].memories);
        let content = self.fill(lang, template, rng);
        let scope = match rng.below(10) {
            0..=6 => "global".to_owned(),
            7 | 8 => format!("contact:c{}", rng.below(300)),
            _ => format!("chat:s{}", rng.below(1000)),
        };
        NewMemory {
            content,
            kind: if rng.chance(0.3) {
                "preference"
            } else {
                "fact"
            }
            .to_owned(),
            scope,
            source_session: None,
            source_message: None,
            provenance: if rng.chance(0.7) {
                Provenance::User
            } else {
                Provenance::Agent
            },
        }
    }

    /// One message, 5–200 characters: a user's is a sentence or two, an assistant's one to
    /// three.
    fn message(&self, lang: usize, role: Role, rng: &mut Rng) -> String {
        let l = &self.langs[lang];
        let (templates, sentences) = match role {
            Role::User => (l.user, if rng.chance(0.2) { 2 } else { 1 }),
            _ => (l.assistant, rng.range(1, 3)),
        };
        let mut text = String::new();
        for i in 0..sentences {
            if i > 0 {
                text.push_str(l.sep);
            }
            let template = *rng.pick(templates);
            text.push_str(&self.fill(lang, template, rng));
        }
        while text.chars().count() < 5 {
            text.push_str(l.sep);
            let template = *rng.pick(templates);
            text.push_str(&self.fill(lang, template, rng));
        }
        if text.chars().count() > 200 {
            text = text.chars().take(200).collect();
        }
        text
    }

    fn session(&self, index: usize, messages: usize, seed: u64) -> ImportedSession {
        let mut rng = Rng::new(seed, index as u64);
        let lang = pick_lang(&mut rng);
        // Sessions an hour apart from 2024-01-01, messages 30 s apart.
        let start = 1_704_067_200 + index as u64 * 3600;
        let messages = (0..messages)
            .map(|i| {
                let role = if i % 2 == 0 {
                    Role::User
                } else {
                    Role::Assistant
                };
                // Some conversations switch to English now and then.
                let this_lang = if lang != EN && rng.chance(0.05) {
                    EN
                } else {
                    lang
                };
                ImportedMessage {
                    role,
                    content: self.message(this_lang, role, &mut rng),
                    created_at: Some(rfc3339(
                        UNIX_EPOCH + Duration::from_secs(start + i as u64 * 30),
                    )),
                }
            })
            .collect();
        ImportedSession {
            source_key: format!("bench:{index}"),
            title: None,
            messages,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Queries by kind.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Cjk1,
    Cjk2,
    Cjk3,
    En1,
    En2,
    NumPath,
    NoHit,
    Hostile,
    Common,
}

const KINDS: [Kind; 9] = [
    Kind::Cjk1,
    Kind::Cjk2,
    Kind::Cjk3,
    Kind::En1,
    Kind::En2,
    Kind::NumPath,
    Kind::NoHit,
    Kind::Hostile,
    Kind::Common,
];

const HOSTILE: &[&str] = &[
    "NEAR(",
    "\"",
    "AND OR",
    "*",
    "((",
    "a\"b",
    "NOT",
    "col:value",
    "'; DROP TABLE memories; --",
    "\"37.759",
    "^",
    "西湖 OR NEAR(",
];

/// The most frequent terms of the corpus, by construction (particles, "the", "you"), and a
/// two-letter English word (searched as a prefix: `is*`).
const COMMON: &[&str] = &[
    "的", "我", "の", "に", "요", "에", "the", "you", "我的", "です", "is", "好的",
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Cjk1 => "1-char CJK",
            Kind::Cjk2 => "2-char CJK",
            Kind::Cjk3 => "3+-char CJK",
            Kind::En1 => "one English word",
            Kind::En2 => "two English words",
            Kind::NumPath => "number / path fragment",
            Kind::NoHit => "no hit",
            Kind::Hostile => "hostile (`NEAR(`, `\"`, `AND OR`…)",
            Kind::Common => "very common term",
        }
    }
}

/// The CJK runs of `word`, as characters.
fn cjk_runs(word: &str) -> Vec<Vec<char>> {
    let mut runs: Vec<Vec<char>> = Vec::new();
    let mut current = Vec::new();
    for c in word.chars() {
        if is_cjk(c) {
            current.push(c);
        } else if !current.is_empty() {
            runs.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

fn cjk_word<'a>(corpus: &'a Corpus, rng: &mut Rng) -> &'a str {
    let lang = &corpus.langs[*rng.pick(&[ZH, JA, KO])];
    let vocab = match rng.below(6) {
        0 => &lang.people,
        1 => &lang.places,
        2 => &lang.things,
        3 => &lang.foods,
        4 => &lang.activities,
        _ => &lang.locations,
    };
    vocab.query(rng)
}

const EN_STOP: &[&str] = &[
    "the", "and", "for", "with", "are", "was", "that", "this", "you", "your", "has", "have", "his",
    "her", "its", "over", "every", "due", "lives", "works",
];

fn en_tokens(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_end_matches("'s")
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_owned()
        })
        .filter(|w| {
            w.chars().count() >= 3
                && w.chars().all(|c| c.is_ascii_alphabetic())
                && !EN_STOP.contains(&w.to_lowercase().as_str())
        })
        .collect()
}

fn make_query(kind: Kind, corpus: &Corpus, rng: &mut Rng, i: usize) -> String {
    let en = &corpus.langs[EN];
    match kind {
        Kind::Cjk1 | Kind::Cjk2 | Kind::Cjk3 => {
            let (lo, hi) = match kind {
                Kind::Cjk1 => (1, 1),
                Kind::Cjk2 => (2, 2),
                _ => (3, 6),
            };
            loop {
                let runs = cjk_runs(cjk_word(corpus, rng));
                let fitting: Vec<&Vec<char>> = runs.iter().filter(|r| r.len() >= lo).collect();
                if fitting.is_empty() {
                    continue;
                }
                let run = *rng.pick(&fitting);
                let len = rng.range(lo, hi.min(run.len()));
                let at = rng.below(run.len() - len + 1);
                return run[at..at + len].iter().collect();
            }
        }
        Kind::En1 => loop {
            let word = match rng.below(5) {
                0 => en.people.query(rng),
                1 => en.places.query(rng),
                2 => en.things.query(rng),
                3 => en.foods.query(rng),
                _ => corpus.shared.codes.query(rng),
            };
            let tokens = en_tokens(word);
            if !tokens.is_empty() {
                let token = rng.pick(&tokens).clone();
                return if rng.chance(0.5) {
                    token.to_lowercase()
                } else {
                    token
                };
            }
        },
        Kind::En2 => loop {
            // Two words that occur together in some fact.
            let template = *rng.pick(en.memories);
            let tokens = en_tokens(&corpus.fill(EN, template, rng));
            if tokens.len() >= 2 {
                let a = rng.below(tokens.len());
                let mut b = rng.below(tokens.len());
                while b == a {
                    b = rng.below(tokens.len());
                }
                let (a, b) = (a.min(b), a.max(b));
                if tokens[a].eq_ignore_ascii_case(&tokens[b]) {
                    continue;
                }
                return format!("{} {}", tokens[a], tokens[b]);
            }
        },
        Kind::NumPath => {
            let s = &corpus.shared;
            match i % 4 {
                0 => {
                    let coord = s.coords.query(rng);
                    coord.split(',').next().unwrap_or(coord).to_owned()
                }
                1 => s.files.query(rng).to_owned(),
                2 => date(rng),
                _ => {
                    let phone = s.phones.query(rng);
                    let parts: Vec<&str> = phone.split('-').collect();
                    parts[parts.len() - 2..].join("-")
                }
            }
        }
        Kind::NoHit => match i % 4 {
            0 => format!("zqx{}vk", rng.range(1000, 9999)),
            1 => "龘".to_owned(),
            2 => "龘靐".to_owned(),
            _ => format!("鱻麤龘{}", rng.range(10, 99)),
        },
        Kind::Hostile => HOSTILE[i % HOSTILE.len()].to_owned(),
        Kind::Common => COMMON[i % COMMON.len()].to_owned(),
    }
}

fn queries(corpus: &Corpus, kind: Kind, count: usize) -> Vec<String> {
    let mut rng = Rng::new(99, kind as u64);
    (0..count)
        .map(|i| make_query(kind, corpus, &mut rng, i))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Measuring.

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Stats {
    p50: f64,
    p95: f64,
    max: f64,
}

fn stats(mut samples: Vec<f64>) -> Stats {
    samples.sort_by(f64::total_cmp);
    let at = |p: f64| {
        let i = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i]
    };
    Stats {
        p50: at(0.50),
        p95: at(0.95),
        max: samples[samples.len() - 1],
    }
}

fn fmt_ms(v: f64) -> String {
    if v < 0.1 {
        format!("{v:.3}")
    } else if v < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.0}")
    }
}

/// p50 / p95 / max, marked when p95 is over budget.
fn fmt_marked(s: &Stats) -> String {
    let mark = if s.p95 > BUDGET_MS { " **over**" } else { "" };
    format!("{}{mark}", fmt_stats(s))
}

fn fmt_stats(s: &Stats) -> String {
    format!("{} / {} / {}", fmt_ms(s.p50), fmt_ms(s.p95), fmt_ms(s.max))
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1_048_576.0)
}

fn db_files(db: &Path) -> [PathBuf; 2] {
    [
        db.to_owned(),
        PathBuf::from(format!("{}-wal", db.display())),
    ]
}

/// Reads the database files once, so the first timed queries do not pay for the disk.
fn read_into_page_cache(db: &Path) {
    for file in db_files(db) {
        if let Ok(mut f) = std::fs::File::open(&file) {
            std::io::copy(&mut f, &mut std::io::sink()).unwrap();
        }
    }
}

fn read_only(db: &Path) -> Connection {
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn
}

fn count(conn: &Connection, sql: &str) -> usize {
    conn.query_row(sql, [], |row| row.get::<_, i64>(0)).unwrap() as usize
}

fn main() {
    let mut sizes: Vec<usize> = std::env::var("BENCH_MEMORIES")
        .ok()
        .map(|v| {
            v.split(',')
                .filter_map(|s| s.trim().replace('_', "").parse().ok())
                .collect()
        })
        .unwrap_or_else(|| vec![10_000, 100_000]);
    sizes.sort_unstable();
    let target_messages = env_usize("BENCH_MESSAGES", 1_000_000);
    let per_kind = env_usize("BENCH_QUERIES", 200).max(1);
    let diagnose = std::env::var("BENCH_DIAGNOSE").map_or(true, |v| v != "0");

    let (_tmp, dir) = match std::env::var("BENCH_MEMORY_DB_DIR") {
        Ok(dir) => {
            std::fs::create_dir_all(&dir).unwrap();
            (None, PathBuf::from(dir))
        }
        Err(_) => {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().to_owned();
            (Some(tmp), path)
        }
    };
    let db = dir.join("pincer.db");
    println!("database: {}", db.display());

    let started = Instant::now();
    let corpus = build_corpus();
    println!(
        "vocabulary: {} words, built in {:.0} ms",
        corpus
            .langs
            .iter()
            .map(|l| l.people.words.len()
                + l.places.words.len()
                + l.things.words.len()
                + l.foods.words.len()
                + l.activities.words.len()
                + l.locations.words.len())
            .sum::<usize>()
            + corpus.shared.codes.words.len()
            + corpus.shared.files.words.len()
            + corpus.shared.coords.words.len()
            + corpus.shared.phones.words.len(),
        ms(started.elapsed())
    );

    let store = Store::open(&db).unwrap();
    let ro = read_only(&db);

    // Stored messages: one transaction a session through import_session.
    let sessions = target_messages.div_ceil(MESSAGES_PER_SESSION);
    let have = count(&ro, "SELECT count(*) FROM imported_sessions");
    let mut import_rate = None;
    if have < sessions {
        println!(
            "importing {} sessions × {MESSAGES_PER_SESSION} messages…",
            sessions - have
        );
        let started = Instant::now();
        let mut written = 0usize;
        let mut generating = Duration::ZERO;
        for s in have..sessions {
            let g = Instant::now();
            let session = corpus.session(s, MESSAGES_PER_SESSION, 42);
            generating += g.elapsed();
            store.import_session(&session).unwrap();
            written += session.messages.len();
            if (s + 1) % (sessions / 10).max(1) == 0 {
                println!(
                    "  {} messages, {:.0} s",
                    have * MESSAGES_PER_SESSION + written,
                    started.elapsed().as_secs_f64()
                );
            }
        }
        let storing = started.elapsed() - generating;
        import_rate = Some(written as f64 / storing.as_secs_f64());
        println!(
            "imported {written} messages in {:.1} s (+{:.1} s generating the text): {:.0} messages/s",
            storing.as_secs_f64(),
            generating.as_secs_f64(),
            written as f64 / storing.as_secs_f64()
        );
    }
    let messages = count(&ro, "SELECT count(*) FROM messages");

    let mut save_rates: Vec<(usize, f64)> = Vec::new();
    let mut report = String::new();
    let mut mem_rng_index = count(&ro, "SELECT count(*) FROM memories") as u64;
    for &size in &sizes {
        let have = count(&ro, "SELECT count(*) FROM memories");
        if have > size {
            println!("the database already holds {have} memories: skipping the size {size}");
            continue;
        }
        if have < size {
            println!("saving {} memories…", size - have);
            let started = Instant::now();
            let mut generating = Duration::ZERO;
            let mut created = 0;
            let mut duplicates = 0;
            while have + created < size {
                let g = Instant::now();
                let mut rng = Rng::new(4242, mem_rng_index);
                mem_rng_index += 1;
                let memory = corpus.memory(&mut rng);
                generating += g.elapsed();
                match store.save_memory(&memory).unwrap() {
                    Saved::Created(_) => created += 1,
                    Saved::Duplicate(_) => duplicates += 1,
                }
            }
            let storing = started.elapsed() - generating;
            let rate = (created + duplicates) as f64 / storing.as_secs_f64();
            save_rates.push((size, rate));
            println!(
                "saved {created} memories ({duplicates} duplicates skipped) in {:.1} s: {rate:.0} saves/s",
                storing.as_secs_f64()
            );
        }
        report.push_str(&measure(&store, &db, &corpus, size, messages, per_kind));
        if diagnose {
            report.push_str(&diagnosis(&store, &db, &corpus, size, per_kind.min(100)));
        }
    }

    println!("\n---\n");
    if let Some(rate) = import_rate {
        println!(
            "import_session: {rate:.0} messages/s ({MESSAGES_PER_SESSION} a session, one transaction each)"
        );
    }
    for (size, rate) in &save_rates {
        println!("save_memory up to {size}: {rate:.0} memories/s (one transaction each)");
    }
    println!("{report}");
    drop(ro);
    drop(store);
    if _tmp.is_none() {
        println!("kept: {}", db.display());
    }
}

/// Wall and CPU time of one call, in ms.
#[derive(Default)]
struct Times {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

impl Times {
    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let (cpu, wall) = (cpu_ms(), Instant::now());
        let v = f();
        self.wall.push(ms(wall.elapsed()));
        self.cpu.push(cpu_ms() - cpu);
        v
    }

    /// `wall p50 / p95 / max | CPU p50 / p95`, each marked when its p95 is over budget.
    fn cells(self) -> String {
        let wall = stats(self.wall);
        let cpu = stats(self.cpu);
        let mark = if cpu.p95 > BUDGET_MS { " **over**" } else { "" };
        format!(
            "{} | {} / {}{mark}",
            fmt_stats(&wall),
            fmt_ms(cpu.p50),
            fmt_ms(cpu.p95)
        )
    }
}

fn measure(
    store: &Store,
    db: &Path,
    corpus: &Corpus,
    memories: usize,
    messages: usize,
    per_kind: usize,
) -> String {
    let size: u64 = db_files(db).iter().map(|f| file_size(f)).sum();
    read_into_page_cache(db);
    let all: Vec<(Kind, Vec<String>)> = KINDS
        .iter()
        .map(|&k| (k, queries(corpus, k, per_kind)))
        .collect();
    // Warm-up: a few queries of each kind through both paths.
    for (_, qs) in &all {
        for q in qs.iter().take(10) {
            store.search_memories(q, None, 5).unwrap();
            store.search_messages(q, 5).unwrap();
        }
    }
    let mut out = format!(
        "\n### {memories} memories + {messages} stored messages (database {}, WAL included)\n\n\
         {per_kind} queries a kind, ms: wall time p50 / p95 / max, then this thread's CPU time \
         p50 / p95 (what the query costs whatever else the machine runs); **over** = CPU p95 \
         above {BUDGET_MS} ms; hits = average results of 5.\n\n\
         | query kind | examples | `search_memories(q, None, 5)` wall | CPU | hits | `search_messages(q, 5)` wall | CPU | hits |\n\
         |---|---|---|---|---|---|---|---|\n",
        mb(size)
    );
    for (kind, qs) in &all {
        let (mut mem, mut msg) = (Times::default(), Times::default());
        let (mut mem_hits, mut msg_hits) = (0usize, 0usize);
        for q in qs {
            mem_hits += mem.time(|| store.search_memories(q, None, 5).unwrap().len());
            msg_hits += msg.time(|| store.search_messages(q, 5).unwrap().len());
        }
        let mut examples: Vec<&str> = Vec::new();
        for q in qs {
            if !examples.contains(&q.as_str()) {
                examples.push(q);
            }
            if examples.len() == 3 {
                break;
            }
        }
        let examples = examples
            .iter()
            .map(|e| format!("`{}`", e.replace('|', "\\|").replace('`', "'")))
            .collect::<Vec<_>>()
            .join(" ");
        let row = format!(
            "| {} | {examples} | {} | {:.1} | {} | {:.1} |\n",
            kind.name(),
            mem.cells(),
            mem_hits as f64 / qs.len() as f64,
            msg.cells(),
            msg_hits as f64 / qs.len() as f64,
        );
        print!("{row}");
        out.push_str(&row);
    }
    // Beyond the search tool: what every new user message costs through recall
    // (memory/recall.rs: `RecallQuery::from_message`, 6 memories in scope `global`, 3
    // messages of other sessions), on the same indexes.
    let messages_in = recall_messages_sample(corpus, per_kind);
    for m in messages_in.iter().take(10) {
        let q = RecallQuery::from_message(m);
        store.recall_memories(q.as_ref(), &["global"], 6).unwrap();
    }
    let (mut mem, mut msg) = (Times::default(), Times::default());
    let (mut mem_hits, mut msg_hits) = (0usize, 0usize);
    for m in &messages_in {
        // The query's parsing is counted with the memories' half.
        let query = mem.time(|| {
            let query = RecallQuery::from_message(m);
            mem_hits += store
                .recall_memories(query.as_ref(), &["global"], 6)
                .unwrap()
                .len();
            query
        });
        msg_hits += msg.time(|| match &query {
            Some(q) => store.recall_messages(q, "bench-none", 3).unwrap().len(),
            None => 0,
        });
    }
    let examples = messages_in
        .iter()
        .take(2)
        .map(|e| format!("`{}`", e.replace('|', "\\|")))
        .collect::<Vec<_>>()
        .join(" ");
    let row = format!(
        "| recall for a new user message (`recall_memories` / `recall_messages`) | {examples} | {} | {:.1} of 6 | {} | {:.1} of 3 |\n",
        mem.cells(),
        mem_hits as f64 / messages_in.len() as f64,
        msg.cells(),
        msg_hits as f64 / messages_in.len() as f64,
    );
    print!("{row}");
    out.push_str(&row);
    out
}

/// New user messages (not in the store), in the corpus's languages.
fn recall_messages_sample(corpus: &Corpus, count: usize) -> Vec<String> {
    let mut rng = Rng::new(77, 1);
    (0..count)
        .map(|_| {
            let lang = pick_lang(&mut rng);
            corpus.message(lang, Role::User, &mut rng)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Where the time goes, and what the store's lookups changed against the previous ones.

const MEMORY_COLUMNS: &str =
    "m.uid, m.content, m.kind, m.scope, m.source_session, m.source_message,
     m.provenance, m.created_at, m.updated_at, m.last_recalled, m.pinned,
     (SELECT s.uid FROM memories s WHERE s.id = m.superseded_by), m.forgotten_at IS NOT NULL";

/// How the store split a query before Latin words went to the word index as tokens: every
/// run of three or more characters (Latin or CJK) through the trigram index, a shorter CJK
/// run as a word-index token, a shorter Latin one as a prefix (`"is"*`).
fn parse_previous(query: &str) -> Option<Lookup> {
    let mut trigram: Vec<String> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    for piece in query.split_whitespace() {
        let piece = piece.trim_matches(|c: char| {
            matches!(
                c,
                '"' | '\''
                    | '('
                    | ')'
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '“'
                    | '”'
                    | '「'
                    | '」'
                    | '《'
                    | '》'
            )
        });
        let mut runs: Vec<(bool, String)> = Vec::new();
        for c in piece.chars() {
            let cjk = is_cjk(c);
            match runs.last_mut() {
                Some((kind, run)) if *kind == cjk => run.push(c),
                _ => runs.push((cjk, c.to_string())),
            }
        }
        for (cjk, run) in runs {
            if run.chars().count() >= 3 {
                trigram.push(quote(&run));
            } else if cjk {
                words.push(quote(&run));
            } else {
                let kept: String = run.chars().filter(|c| c.is_alphanumeric()).collect();
                if !kept.is_empty() {
                    words.push(format!("{}*", quote(&kept)));
                }
            }
        }
    }
    if trigram.is_empty() && words.is_empty() {
        return None;
    }
    let join = |terms: Vec<String>| (!terms.is_empty()).then(|| terms.join(" AND "));
    Some(Lookup {
        trigram: join(trigram),
        words: join(words),
    })
}

/// One index's candidates for `expr` as the store takes them (`ranked_recent` in
/// store/memory.rs): the newest 500 matches, best bm25 first.
fn index_candidates(conn: &Connection, index: &str, expr: &str) -> Vec<i64> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT rowid, rank FROM {index} WHERE {index} MATCH ?1 ORDER BY rowid DESC LIMIT ?2"
        ))
        .unwrap();
    let mut rows: Vec<(i64, f64)> = stmt
        .query_map(params![expr, CANDIDATES], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.sort_by(|a, b| a.1.total_cmp(&b.1));
    rows.into_iter().map(|(id, _)| id).collect()
}

/// The candidate rowids of `table` for one lookup, as `lookup_ids` combines them (the
/// word index is not asked when the trigram index finds nothing; a row must be among both
/// indexes' candidates when both are asked).
fn lookup_candidates(conn: &Connection, table: &str, lookup: &Lookup) -> Vec<i64> {
    let trigram = lookup
        .trigram
        .as_deref()
        .map(|e| index_candidates(conn, &format!("{table}_tri"), e));
    if trigram.as_ref().is_some_and(Vec::is_empty) {
        return Vec::new();
    }
    let words = lookup
        .words
        .as_deref()
        .map(|e| index_candidates(conn, &format!("{table}_words"), e));
    match (trigram, words) {
        (Some(t), Some(w)) => {
            let in_words: HashSet<i64> = w.into_iter().collect();
            t.into_iter().filter(|id| in_words.contains(id)).collect()
        }
        (Some(only), None) | (None, Some(only)) => only,
        (None, None) => Vec::new(),
    }
}

/// The store's candidates (`matching_ids`: tokens, then substrings when the tokens find
/// nothing), and whether the substring lookup was asked.
fn candidates_now(conn: &Connection, table: &str, query: &str) -> (Vec<i64>, bool) {
    let Some(parsed) = SearchQuery::parse(query) else {
        return (Vec::new(), false);
    };
    let found = lookup_candidates(conn, table, &parsed.tokens);
    match &parsed.substrings {
        Some(substrings) if found.is_empty() => (lookup_candidates(conn, table, substrings), true),
        _ => (found, false),
    }
}

/// The previous split's candidates ([`parse_previous`]).
fn candidates_before(conn: &Connection, table: &str, query: &str) -> Vec<i64> {
    parse_previous(query).map_or_else(Vec::new, |lookup| lookup_candidates(conn, table, &lookup))
}

/// The first five rows, fetched one id at a time as the store's loop does.
fn fetch(conn: &Connection, table: &str, ids: &[i64]) -> Vec<String> {
    let mut found = Vec::new();
    if table == "memories" {
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {MEMORY_COLUMNS} FROM memories m
                 WHERE m.id = ?1 AND m.forgotten_at IS NULL AND m.superseded_by IS NULL
                   AND (?2 IS NULL OR m.scope = ?2)"
            ))
            .unwrap();
        for id in ids {
            let mut rows = stmt.query(params![id, None::<String>]).unwrap();
            if let Some(row) = rows.next().unwrap() {
                found.push(row.get::<_, String>(0).unwrap());
            }
            if found.len() == 5 {
                break;
            }
        }
    } else {
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, session_id, role, content, created_at FROM messages
                 WHERE id = ?1 AND role != 'tool'",
            )
            .unwrap();
        for id in ids {
            let mut rows = stmt.query(params![id]).unwrap();
            if let Some(row) = rows.next().unwrap() {
                found.push(row.get::<_, i64>(0).unwrap().to_string());
            }
            if found.len() == 5 {
                break;
            }
        }
    }
    found
}

/// Rows of `table` matching the query's token lookup (both indexes when both are asked).
fn matches(conn: &Connection, table: &str, query: &str) -> usize {
    let Some(parsed) = SearchQuery::parse(query) else {
        return 0;
    };
    let lookup = parsed.tokens;
    let count_of = |sql: String, args: &[&str]| -> usize {
        let mut stmt = conn.prepare_cached(&sql).unwrap();
        stmt.query_row(rusqlite::params_from_iter(args), |row| row.get::<_, i64>(0))
            .unwrap() as usize
    };
    match (lookup.trigram.as_deref(), lookup.words.as_deref()) {
        (Some(t), Some(w)) => count_of(
            format!(
                "SELECT count(*) FROM {table}_tri WHERE {table}_tri MATCH ?1
                 AND rowid IN (SELECT rowid FROM {table}_words WHERE {table}_words MATCH ?2)"
            ),
            &[t, w],
        ),
        (Some(t), None) => count_of(
            format!("SELECT count(*) FROM {table}_tri WHERE {table}_tri MATCH ?1"),
            &[t],
        ),
        (None, Some(w)) => count_of(
            format!("SELECT count(*) FROM {table}_words WHERE {table}_words MATCH ?1"),
            &[w],
        ),
        (None, None) => 0,
    }
}

/// `f`'s result and the CPU time it took this thread, in ms.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = cpu_ms();
    let v = f();
    (v, cpu_ms() - t)
}

fn plan(conn: &Connection, sql: &str) -> String {
    let steps: Vec<String> = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap()
        .query_map([], |row| row.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    format!(
        "- `{}` → `{}`\n",
        sql.split_whitespace().collect::<Vec<_>>().join(" "),
        steps.join("; ")
    )
}

fn diagnosis(
    store: &Store,
    db: &Path,
    corpus: &Corpus,
    memories: usize,
    per_kind: usize,
) -> String {
    // The store's own work first, alone: SQLite's page caches share one budget in this
    // build (`SQLITE_ENABLE_MEMORY_MANAGEMENT`), and two connections taking turns at big
    // queries evict each other's pages and then read every page from the OS again (3–4×
    // the CPU time), which the app, with its one connection, never does.
    let recall_sample = recall_messages_sample(corpus, per_kind);
    let recalled: Vec<(Vec<String>, Vec<i64>)> = recall_sample
        .iter()
        .map(|m| match RecallQuery::from_message(m) {
            Some(q) => (
                store
                    .recall_memories(Some(&q), &["global"], 6)
                    .unwrap()
                    .into_iter()
                    .map(|mem| mem.id)
                    .collect(),
                store
                    .recall_messages(&q, "bench-none", 3)
                    .unwrap()
                    .into_iter()
                    .map(|hit| hit.message_id)
                    .collect(),
            ),
            None => (Vec::new(), Vec::new()),
        })
        .collect();

    let mut out = format!(
        "\n#### Where the time goes at {memories} memories ({per_kind} queries a kind)\n\n"
    );

    // Where the bytes are (on a connection of its own).
    let sizes = read_only(db);
    let mut stmt = sizes
        .prepare(
            "SELECT CASE WHEN name LIKE 'messages_tri%' THEN 'messages_tri (trigram)'
                         WHEN name LIKE 'messages_words%' THEN 'messages_words (words)'
                         WHEN name LIKE 'memories_tri%' THEN 'memories_tri (trigram)'
                         WHEN name LIKE 'memories_words%' THEN 'memories_words (words)'
                         WHEN name LIKE '%messages%' THEN 'messages table + its indexes'
                         WHEN name LIKE '%memor%' THEN 'memories + memory_history tables'
                         ELSE 'other' END AS part,
                    SUM(pgsize) FROM dbstat GROUP BY part ORDER BY 2 DESC",
        )
        .unwrap();
    let parts: Vec<(String, i64)> = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(stmt);
    drop(sizes);
    out.push_str("Size by part (dbstat): ");
    out.push_str(
        &parts
            .iter()
            .map(|(name, bytes)| format!("{name} {}", mb(*bytes as u64)))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let conn = read_only(db);
    out.push_str("\n\nQuery plans:\n\n");
    out.push_str(&plan(
        &conn,
        "SELECT rowid, rank FROM messages_words WHERE messages_words MATCH '\"的\"' ORDER BY rowid DESC LIMIT 500",
    ));
    out.push_str(&plan(
        &conn,
        "SELECT id, session_id, role, content, created_at FROM messages WHERE id = 1 AND role != 'tool'",
    ));

    out.push_str(
        "\nPer kind, on a second (read-only) connection: rows matching the query's token \
         lookup; how many queries fell back to the substring lookup (the tokens found \
         nothing); the store's lookups and row loop (`matching_ids`) against the previous \
         split (Latin runs of 3+ characters through the trigram index, shorter ones as \
         prefixes, see `parse_previous`), each with the newest 500 matches of an index ranked \
         by bm25; hits of 5; and the share of the previous split's results the store still \
         returns. CPU ms as p50 / p95 / max.\n\n\
         | query kind | table | token matches p50 / max | fell back | previous split | store | hits of 5, previous / store | previous results kept |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    let mut slowest: Vec<String> = Vec::new();
    for kind in KINDS {
        let qs = queries(corpus, kind, per_kind);
        for table in ["memories", "messages"] {
            let mut by_query: Vec<(f64, &str)> = Vec::new();
            let (mut rows, mut fell_back) = (Vec::new(), 0usize);
            let (mut before, mut now) = (Vec::new(), Vec::new());
            let (mut before_hits, mut now_hits, mut kept) = (0usize, 0usize, 0usize);
            for q in qs.iter() {
                rows.push(matches(&conn, table, q) as f64);
                let (old, t) = timed(|| fetch(&conn, table, &candidates_before(&conn, table, q)));
                before.push(t);
                let ((new, asked), t) = timed(|| {
                    let (ids, asked) = candidates_now(&conn, table, q);
                    (fetch(&conn, table, &ids), asked)
                });
                now.push(t);
                by_query.push((t, q));
                fell_back += usize::from(asked);
                before_hits += old.len();
                now_hits += new.len();
                kept += old.iter().filter(|r| new.contains(r)).count();
            }
            by_query.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut seen = HashSet::new();
            by_query.retain(|(_, q)| seen.insert(*q));
            slowest.push(format!(
                "- {} in {table}: {}\n",
                kind.name(),
                by_query
                    .iter()
                    .take(3)
                    .map(|(t, q)| format!("`{}` {}", q.replace('`', "'"), fmt_ms(*t)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            let r = stats(rows);
            let row = format!(
                "| {} | {table} | {:.0} / {:.0} | {fell_back} of {} | {} | {} | {:.1} / {:.1} | {} |\n",
                kind.name(),
                r.p50,
                r.max,
                qs.len(),
                fmt_marked(&stats(before)),
                fmt_marked(&stats(now)),
                before_hits as f64 / qs.len() as f64,
                now_hits as f64 / qs.len() as f64,
                if before_hits == 0 {
                    "—".to_owned()
                } else {
                    format!("{:.0} %", kept as f64 * 100.0 / before_hits as f64)
                }
            );
            print!("{row}");
            out.push_str(&row);
        }
    }

    out.push_str("\nThe slowest queries of each kind through the store's lookups (CPU ms):\n\n");
    for line in &slowest {
        print!("{line}");
        out.push_str(line);
    }

    // A one- or two-letter English word was a prefix query (`"is"*`): FTS5 without a
    // prefix index gathers every token that starts so into one list before the first row.
    out.push_str("\nA two-letter English word as a prefix (the previous split) and as a whole token (the store), in `messages_words`, newest 500 + bm25 (CPU ms, median of 5):\n\n| expression | rows | CPU ms |\n|---|---|---|\n");
    for expr in ["\"is\"*", "\"is\"", "\"to\"*", "\"to\""] {
        let rows = count_of_expr(&conn, "messages_words", expr);
        let runs: Vec<f64> = (0..5)
            .map(|_| timed(|| index_candidates(&conn, "messages_words", expr)).1)
            .collect();
        let row = format!("| `{expr}` | {rows} | {} |\n", fmt_ms(stats(runs).p50));
        print!("{row}");
        out.push_str(&row);
    }

    // Recall: each term looked up alone (the store) against the previous OR of all terms.
    out.push_str(&format!(
        "\nRecall for a new user message ({per_kind} messages): terms per message, rows matching \
         any of them, the previous lookup (an OR of all terms, its newest {CANDIDATES} matches \
         ranked by bm25, the best {RECALL_WEIGHED} checked as `recall_*` checks them), and what \
         the store's `recall_memories` (6, scope global) and `recall_messages` (3) return: the \
         share of the previous lookup's results among them. The store's own times are the main \
         table's. CPU ms as p50 / p95 / max.\n\n\
         | index | terms p50 / max | matching rows p50 / max | previous: OR ranked | results, previous / store | previous results kept |\n\
         |---|---|---|---|---|---|\n"
    ));
    for (k, table) in ["memories", "messages"].into_iter().enumerate() {
        let index = format!("{table}_words");
        let (mut terms, mut rows, mut before) = (Vec::new(), Vec::new(), Vec::new());
        let (mut kept, mut before_count, mut now_count) = (0usize, 0usize, 0usize);
        for (m, (memories, messages)) in recall_sample.iter().zip(&recalled) {
            let Some(q) = RecallQuery::from_message(m) else {
                continue;
            };
            let expr = q.exprs.join(" OR ");
            terms.push(q.terms.len() as f64);
            rows.push(count_of_expr(&conn, &index, &expr) as f64);
            let (old, t) = timed(|| recall_before(&conn, table, &q));
            before.push(t);
            let now: Vec<i64> = if k == 0 {
                memories
                    .iter()
                    .map(|uid| {
                        conn.query_row("SELECT id FROM memories WHERE uid = ?1", [uid], |r| {
                            r.get(0)
                        })
                        .unwrap()
                    })
                    .collect()
            } else {
                messages.clone()
            };
            before_count += old.len();
            now_count += now.len();
            kept += old.iter().filter(|id| now.contains(id)).count();
        }
        let (t, r) = (stats(terms), stats(rows));
        let row = format!(
            "| {index} | {:.0} / {:.0} | {:.0} / {:.0} | {} | {before_count} / {now_count} | {} |\n",
            t.p50,
            t.max,
            r.p50,
            r.max,
            fmt_marked(&stats(before)),
            if before_count == 0 {
                "—".to_owned()
            } else {
                format!("{:.0} %", kept as f64 * 100.0 / before_count as f64)
            }
        );
        print!("{row}");
        out.push_str(&row);
    }
    out
}

/// What recall checks (`WEIGHED` in store/recall.rs).
const RECALL_WEIGHED: usize = 60;

/// The previous recall (until 2026-12-07): the OR of the message's terms (a word of four
/// or more letters as a prefix), the newest 500
/// matches ranked by bm25, the best 60 checked against the message as `recall_memories`
/// (6, scope `global`, no pinned memories in the bench) and `recall_messages` (3) check
/// them. Rowids.
fn recall_before(conn: &Connection, table: &str, q: &RecallQuery) -> Vec<i64> {
    let index = format!("{table}_words");
    // A word of four or more letters was a prefix then.
    let expr = q
        .terms
        .iter()
        .zip(&q.exprs)
        .map(|(term, expr)| {
            if expr.contains(" OR ") {
                format!("\"{term}\"*")
            } else {
                expr.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" OR ");
    let mut ids = index_candidates(conn, &index, &expr);
    ids.truncate(RECALL_WEIGHED);
    let mut found = Vec::new();
    if table == "memories" {
        let mut stmt = conn
            .prepare_cached(
                "SELECT content FROM memories WHERE id = ?1 AND scope = 'global'
                 AND forgotten_at IS NULL AND superseded_by IS NULL",
            )
            .unwrap();
        for id in ids {
            if found.len() == 6 {
                break;
            }
            let content: Option<String> = stmt
                .query_row(params![id], |row| row.get(0))
                .optional()
                .unwrap();
            if content.is_some_and(|c| q.covered(&c) >= q.enough()) {
                found.push(id);
            }
        }
    } else {
        let mut stmt = conn
            .prepare_cached("SELECT content FROM messages WHERE id = ?1 AND role != 'tool'")
            .unwrap();
        for id in ids {
            if found.len() == 3 {
                break;
            }
            let content: Option<String> = stmt
                .query_row(params![id], |row| row.get(0))
                .optional()
                .unwrap();
            if content.is_some_and(|c| q.covered(&c) >= q.enough_for_messages()) {
                found.push(id);
            }
        }
    }
    found
}

fn count_of_expr(conn: &Connection, index: &str, expr: &str) -> usize {
    conn.query_row(
        &format!("SELECT count(*) FROM {index} WHERE {index} MATCH ?1"),
        [expr],
        |row| row.get::<_, i64>(0),
    )
    .unwrap() as usize
}
