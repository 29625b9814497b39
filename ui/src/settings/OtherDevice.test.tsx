import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { mockApi, ok } from "../test/mockApi";
import { OtherDevice, loginLink } from "./OtherDevice";

describe("another device", () => {
  it("puts the code in the fragment of the link", () => {
    expect(loginLink("http://127.0.0.1:7420", "K7PQ-MX3D")).toBe("http://127.0.0.1:7420/#login=K7PQ-MX3D");
  });

  it("asks the daemon for a fresh code and shows it with its link", async () => {
    const { calls } = mockApi({
      "POST /api/login-codes": ok({ code: "K7PQ-MX3D", expires_in_secs: 600 }),
    });
    render(<OtherDevice />);
    expect(screen.queryByTestId("login-code-shown")).not.toBeInTheDocument();
    await userEvent.click(screen.getByTestId("login-code-new"));
    const shown = await screen.findByTestId("login-code-shown");
    expect(shown).toHaveTextContent("K7PQ-MX3D");
    expect(shown).toHaveTextContent(`${window.location.origin}/#login=K7PQ-MX3D`);
    expect(shown).toHaveTextContent("valid about 10 min");
    expect(calls.filter((c) => c.path === "/api/login-codes")).toHaveLength(1);
  });
});
