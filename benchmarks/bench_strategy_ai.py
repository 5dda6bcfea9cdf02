"""Benchmark: the strategy AI worker's own time per chat turn.

Run with ``uv run python benchmarks/bench_strategy_ai.py [--runs N]``. Prints p50/p95 and ratios
against references measured in the same run:

1. offline turn = parse + StrategySpec validation/checks + code generation + static checks +
   explanation, over the prompt corpus (target p50 <= 50 ms). Reference: pydantic validation of
   the same specs alone.
2. stub-LLM turn = the real anthropic SDK against a local stub server (streamed tool use) plus the
   same post-processing. Reference: the bare HTTP round trip to the stub (httpx, same bytes). The
   difference is the worker's own time (target <= 20 ms).

Storage (PostgreSQL) and the market-data fetch for the signal frequency are not included: they
are I/O against other processes and are measured by the service's access logs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from vt_contracts import StrategySpec
from vt_contracts.examples import sma_crossover_spec
from vt_strategy_ai.llm.base import TurnInput
from vt_strategy_ai.llm.providers import AnthropicProvider, OfflineProvider
from vt_strategy_ai.schemas import SignalFrequency
from vt_strategy_ai.spec.artifacts import code_and_safety
from vt_strategy_ai.spec.explain import explain

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "strategy-ai-worker" / "tests"))

from ai_stubs import Script, StubServer, anthropic_app  # noqa: E402

CORPUS = json.loads((ROOT / "strategy-ai-worker/tests/data/prompt_corpus.json").read_text())
FREQ = SignalFrequency(status="not_requested", detail="benchmark")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def post_process(spec: StrategySpec | None) -> None:
    if spec is None:
        return
    code_and_safety(spec)
    explain(spec, FREQ, None)


def bench_offline(runs: int) -> tuple[list[float], list[float]]:
    provider = OfflineProvider()
    turns: list[float] = []
    refs: list[float] = []
    specs: list[dict[str, Any]] = []
    for case in CORPUS:
        proposal = provider.propose_sync(TurnInput(message=case["prompt"]))
        if proposal.checked is not None and proposal.checked.spec is not None:
            specs.append(proposal.checked.spec.model_dump(mode="json"))
    for _ in range(runs):
        for case in CORPUS:
            t0 = time.perf_counter()
            proposal = provider.propose_sync(TurnInput(message=case["prompt"]))
            post_process(proposal.checked.spec if proposal.checked else None)
            turns.append((time.perf_counter() - t0) * 1000)
        for data in specs:
            t0 = time.perf_counter()
            StrategySpec.model_validate(data)
            refs.append((time.perf_counter() - t0) * 1000)
    return turns, refs


VALID = {
    "reply": "Here is a 20/50 SMA crossover on SPY with a 5% stop.",
    "intent": "new",
    "clarification": None,
    "spec": sma_crossover_spec(risk={"stop_loss": {"kind": "percent", "percent": 5}}),
}


async def bench_stub_llm(runs: int) -> tuple[list[float], list[float]]:
    script = Script([VALID])
    with StubServer(anthropic_app(script)) as url:
        provider = AnthropicProvider("claude-bench", api_key=SecretStr("k"), base_url=url)
        # the reference sends a request of the same size (the stub parses the same JSON)
        from vt_strategy_ai.llm.prompts import TOOL_NAME, response_schema, system_prompt

        body = {
            "model": "claude-bench",
            "max_tokens": 4096,
            "stream": True,
            "system": system_prompt(TurnInput(message="sma cross on SPY")),
            "messages": [{"role": "user", "content": "sma cross on SPY"}],
            "tools": [{"name": TOOL_NAME, "input_schema": response_schema()}],
        }

        async def sink(_: str) -> None:
            return None

        turns: list[float] = []
        refs: list[float] = []
        async with httpx.AsyncClient(base_url=url) as raw:
            for i in range(runs + 3):
                t0 = time.perf_counter()
                async with raw.stream("POST", "/v1/messages", json=body) as r:
                    async for _ in r.aiter_bytes():
                        pass
                ref = (time.perf_counter() - t0) * 1000
                t0 = time.perf_counter()
                proposal = await provider.propose(TurnInput(message="sma cross on SPY"), sink)
                post_process(proposal.checked.spec if proposal.checked else None)
                turn = (time.perf_counter() - t0) * 1000
                if i >= 3:  # warm-up
                    refs.append(ref)
                    turns.append(turn)
        await provider.aclose()
    return turns, refs


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    turns, refs = bench_offline(max(1, args.runs // 4))
    p50, ref50 = statistics.median(turns), statistics.median(refs)
    print(
        f"offline turn (parse+validate+codegen+check_code+explain), {len(turns)} turns over {len(CORPUS)} prompts"
    )
    print(f"  p50 {p50:.2f} ms  p95 {pct(turns, 0.95):.2f} ms  (target p50 <= 50 ms)")
    print(
        f"  reference: pydantic StrategySpec validation alone p50 {ref50:.3f} ms  -> ratio {p50 / ref50:.0f}x"
    )

    llm_turns, llm_refs = asyncio.run(bench_stub_llm(args.runs))
    t50, r50 = statistics.median(llm_turns), statistics.median(llm_refs)
    print(
        f"stub-LLM turn (anthropic SDK, streamed tool use + post-processing), {len(llm_turns)} turns"
    )
    print(f"  p50 {t50:.2f} ms  p95 {pct(llm_turns, 0.95):.2f} ms")
    print(
        f"  reference: bare HTTP round trip to the stub p50 {r50:.2f} ms  -> ratio {t50 / r50:.1f}x"
    )
    print(f"  worker's own time p50 {t50 - r50:.2f} ms  (target <= 20 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
