import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

// jsdom has no blob: URLs; images fetched with the login key are shown through them.
let blobs = 0;
URL.createObjectURL = () => `blob:http://localhost/${++blobs}`;
URL.revokeObjectURL = () => {};

afterEach(() => {
  cleanup();
  window.localStorage.clear();
});
