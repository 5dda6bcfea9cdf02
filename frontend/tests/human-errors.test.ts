import { describe, expect, it } from "vitest";
import { humanizeProblem, humanLoc, humanText, humanTitle } from "@/lib/human-errors";
import { noServerPath } from "@/components/market/insight-widget";

describe("human wording of API problems", () => {
  it("replaces status-name titles by what happened", () => {
    expect(humanTitle({ type: "https://vibetrading.dev/problems/invalid-credentials", title: "Authentication required", status: 401 })).toBe("Wrong email or password");
    expect(humanTitle({ type: "https://vibetrading.dev/problems/conflict", title: "Conflict", status: 409 })).toBe("That already exists");
    expect(humanTitle({ title: "Service Unavailable", status: 503 })).toBe("VibeTrading is busy or starting");
    expect(humanTitle({ title: "HTTP 500", status: 500 })).toBe("Something went wrong on our side");
    expect(humanTitle({ title: "Email already registered", status: 409 })).toBe("Email already registered");
  });
  it("rewrites pydantic messages, env var names and API paths", () => {
    expect(humanText("Value error, give exactly one of strategy_id, spec or code")).toBe("Give exactly one of strategy_id, spec or code");
    expect(humanText("Field required", { capitalize: false })).toBe("is required");
    expect(humanText("Input should be greater than 0", { capitalize: false })).toBe("must be more than 0");
    expect(humanText("Input should be less than or equal to 0.1", { capitalize: false })).toBe("must be at most 0.1");
    expect(humanText("Extra inputs are not permitted", { capitalize: false })).toMatch(/^is not a field/);
    expect(humanText("no LLM key: set ANTHROPIC_API_KEY or OPENAI_API_KEY")).toBe("No LLM key: a server setting");
    expect(humanText("market-data unreachable at GET /api/v1/market/data (set MARKET_DATA_URL)")).toBe("Market-data unreachable");
    expect(humanText("see /api/v1/backtest/run for details")).toBe("See for details");
    expect(humanText("null: no news source is configured (set VT_NEWS_FEEDS to RSS/Atom URLs or enable VT_NEWS_OPENBB)", { capitalize: false })).toBe("null: no news source is configured (a server setting the operator can change)");
  });
  it("names fields in words", () => {
    expect(humanLoc(["body", "spec", "risk", "stop_loss", "percent"])).toBe("risk › stop loss › percent");
    expect(humanLoc(["body", "spec", "indicators", 0, "window"])).toBe("indicators › #1 › window");
  });
  it("humanises a whole problem and keeps its reference", () => {
    const p = humanizeProblem({ title: "Invalid input", status: 422, detail: "Value error, bad", correlation_id: "abc", errors: [{ loc: ["body", "x"], msg: "Field required" }] });
    expect(p).toMatchObject({ title: "Some details need fixing", detail: "Bad", correlation_id: "abc", errors: [{ msg: "is required" }] });
  });
  it("shows a server path as its file name only", () => {
    expect(noServerPath("/srv/vt/market-research-service/src/vt_research/data/econ_calendar.yaml")).toBe("econ_calendar.yaml");
    expect(noServerPath("2013/12/31")).toBe("2013/12/31");
    expect(noServerPath("close_t / close_(t-126)")).toBe("close_t / close_(t-126)");
  });
});
