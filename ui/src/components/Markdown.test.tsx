import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Markdown } from "./Markdown";

describe("Markdown", () => {
  it("highlights fenced code and labels its language", () => {
    const { container, getByRole } = render(<Markdown text={"```js\nconst x = 1;\n```"} />);
    const keyword = container.querySelector("pre code .hljs-keyword");
    expect(keyword?.textContent).toBe("const");
    expect(container.querySelector(".code-lang")?.textContent).toBe("js");
    expect(getByRole("button", { name: "Copy code" })).toBeInTheDocument();
  });

  it("renders GFM tables", () => {
    const { container } = render(<Markdown text={"| a | b |\n|---|---|\n| 1 | 2 |"} />);
    const headers = [...container.querySelectorAll("table th")].map((th) => th.textContent);
    expect(headers).toEqual(["a", "b"]);
    expect([...container.querySelectorAll("table td")].map((td) => td.textContent)).toEqual(["1", "2"]);
  });

  it("renders lists, strikethrough and task lists", () => {
    const { container } = render(<Markdown text={"- one\n- ~~two~~\n- [x] done"} />);
    expect(container.querySelectorAll("ul li")).toHaveLength(3);
    expect(container.querySelector("del")?.textContent).toBe("two");
    expect(container.querySelector('input[type="checkbox"]')).toBeChecked();
  });

  it("never turns raw HTML into elements", () => {
    const { container } = render(
      <Markdown text={'hi <img src=x onerror="alert(1)"> <script>alert(2)</script> <b onclick="x()">bold</b>'} />,
    );
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("script")).toBeNull();
    expect(container.querySelector("b")).toBeNull();
    expect(container.querySelector("[onerror],[onclick]")).toBeNull();
  });

  it("neutralizes javascript: links and opens web links in a new tab", () => {
    const { container } = render(<Markdown text={"[bad](javascript:alert(1)) [good](https://example.com)"} />);
    const links = [...container.querySelectorAll("a")];
    expect(links.some((a) => (a.getAttribute("href") ?? "").startsWith("javascript:"))).toBe(false);
    const good = links.find((a) => a.textContent === "good");
    expect(good?.getAttribute("target")).toBe("_blank");
    expect(good?.getAttribute("rel")).toContain("noopener");
  });

  it("shows markdown images as links (remote images are blocked by the CSP)", () => {
    const { container } = render(<Markdown text={"![chart](https://example.com/a.png)"} />);
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("a")?.textContent).toBe("chart");
  });
});
