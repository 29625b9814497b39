import { describe, expect, it } from "vitest";
import { hashWithoutLogin, loginCodeFromHash, normalizeCode, takeLoginCode } from "./loginHash";

describe("login hash", () => {
  it("reads the code the daemon prints", () => {
    expect(loginCodeFromHash("#login=ABCD-EFGH")).toBe("ABCD-EFGH");
    expect(loginCodeFromHash("#login=abcd-efgh")).toBe("ABCD-EFGH");
    expect(loginCodeFromHash("#/chat/abc&login=WXYZ-1234")).toBe("WXYZ-1234");
  });

  it("finds nothing in ordinary routes", () => {
    expect(loginCodeFromHash("")).toBeNull();
    expect(loginCodeFromHash("#/chat/abc")).toBeNull();
    expect(loginCodeFromHash("#/chat/login=x")).toBeNull();
    expect(loginCodeFromHash("#login=")).toBeNull();
  });

  it("keeps the rest of the hash", () => {
    expect(hashWithoutLogin("#login=ABCD")).toBe("");
    expect(hashWithoutLogin("#/chat/abc&login=ABCD")).toBe("#/chat/abc");
  });

  it("trims and upper-cases typed codes", () => {
    expect(normalizeCode("  abcd-efgh \n")).toBe("ABCD-EFGH");
  });

  it("removes the code from the address bar without a new history entry", () => {
    window.history.replaceState(null, "", "/some/path?x=1#login=abcd-efgh");
    const before = window.history.length;
    expect(takeLoginCode()).toBe("ABCD-EFGH");
    expect(window.location.hash).toBe("");
    expect(window.location.href).not.toContain("ABCD");
    expect(window.location.href).not.toContain("abcd");
    expect(window.location.pathname + window.location.search).toBe("/some/path?x=1");
    expect(window.history.length).toBe(before);
    // Consumed: a second look finds nothing.
    expect(takeLoginCode()).toBeNull();
  });

  it("leaves a URL without a code untouched", () => {
    window.history.replaceState(null, "", "/#/usage");
    expect(takeLoginCode()).toBeNull();
    expect(window.location.hash).toBe("#/usage");
  });
});
