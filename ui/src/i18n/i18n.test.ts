import { afterEach, describe, expect, it } from "vitest";
import { detectLang, translate } from ".";
import { en } from "./en";
import { zh } from "./zh";

afterEach(() => window.localStorage.clear());

describe("the page's language", () => {
  it("is Chinese when the browser prefers it, English otherwise, or what was saved", () => {
    expect(detectLang(["zh-CN", "en"])).toBe("zh");
    expect(detectLang(["zh-Hant-TW"])).toBe("zh");
    expect(detectLang(["en-GB", "zh-CN"])).toBe("en");
    expect(detectLang(["pt-PT", "zh"])).toBe("zh");
    expect(detectLang(["pt-PT"])).toBe("en");
    window.localStorage.setItem("pincer.lang", "zh");
    expect(detectLang(["en-US"])).toBe("zh");
  });

  it("has every English string in Chinese, with the same placeholders", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(zh[key].trim(), key).not.toBe("");
      const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(names(zh[key]), key).toEqual(names(en[key]));
    }
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  });

  it("fills placeholders", () => {
    expect(translate("en", "jobs.deleteNamed", { name: "Brief" })).toBe("Delete “Brief”");
    expect(translate("zh", "runs.step", { n: 2 })).toBe("第 2 步");
    expect(translate("en", "runs.step")).toBe("step {n}");
  });
});
