//! A fixed set of ordinary notes a user might have Pincer remember, in the languages the
//! fixture and the users write, embedded once per model beside the memories. They are
//! never recalled: they only widen the set a message's similarities are compared with, so
//! "how far above the usual" means the same for a user with five memories as for one with
//! five thousand (over n values a z-score cannot pass √(n−1): with ten memories alone no
//! hit could ever stand three deviations out).

/// What marks a background vector's content hash in the store and the index.
pub const PREFIX: &str = "background:";

pub const PASSAGES: &[&str] = &[
    "I usually wake up around seven on weekdays",
    "My favourite colour is dark green",
    "I am allergic to cats",
    "The car needs new tyres before winter",
    "We keep the spare key under the blue flowerpot",
    "I prefer tea over coffee in the afternoon",
    "My dentist appointment is every six months",
    "The printer in the study only works over USB",
    "I am learning to play the guitar",
    "Our neighbour's dog is called Biscuit",
    "I run the monthly budget in a spreadsheet",
    "The office is closed on public holidays",
    "I like reading science fiction before bed",
    "My laptop backup runs every Sunday night",
    "I take the bus to work when it rains",
    "The garden hose leaks at the connector",
    "I want to visit Iceland one day",
    "My brother works as a nurse",
    "Invoices go to the accounting folder",
    "I don't eat meat on Fridays",
    "The wifi router is in the hallway cupboard",
    "I have a meeting with my manager every Tuesday",
    "My grandmother's birthday is in early spring",
    "I collect old postcards",
    "我喜欢早上喝一杯热牛奶",
    "我家的猫叫小白",
    "周末我通常去超市买菜",
    "我的护照下个月到期",
    "我在学习做饭",
    "公司的打印机经常卡纸",
    "我每天晚上十一点睡觉",
    "我妈妈住在南京",
    "我不太喜欢吃辣",
    "我打算明年换一台新电脑",
    "図書館の本は来週返す予定です",
    "朝はいつもコーヒーを飲みます",
    "週末はよく公園を散歩します",
    "私の車は白いです",
    "仕事は九時に始まります",
    "兄は大阪に住んでいます",
    "저는 아침에 운동을 합니다",
    "제 동생은 대학생입니다",
    "주말에는 영화를 자주 봅니다",
    "저는 매운 음식을 좋아합니다",
    "회사까지 지하철로 삼십 분 걸립니다",
    "우리 집 고양이는 세 살입니다",
    "Remember to water the plants on Thursdays",
    "The electricity bill is paid automatically",
];
