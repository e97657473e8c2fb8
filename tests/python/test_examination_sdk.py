"""Cost and inventory through the official `openai` Python SDK.

Traffic to two priced models (the mock serves them under their real names, with usage steered
per request), then the AI inventory must list both with the right request counts and costs to
the cent, computed here as usage x the list price.

Environment: PARAPET_BASE_URL, PARAPET_KEY, PARAPET_ADMIN_URL, PARAPET_ADMIN_TOKEN.
Run by tests/tests/python_sdk.rs, which starts the mock and the gateway.
"""

import datetime
import json
import os
import time
import urllib.request

import openai

BASE_URL = os.environ["PARAPET_BASE_URL"]
KEY = os.environ["PARAPET_KEY"]
ADMIN_URL = os.environ["PARAPET_ADMIN_URL"]
ADMIN_TOKEN = os.environ["PARAPET_ADMIN_TOKEN"]

# USD per million tokens (input, output): OpenAI list prices, as in Parapet's shipped table.
PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00)}

# (model, prompt tokens, completion tokens, stream)
CALLS = [
    ("gpt-4o-mini", 120_000, 30_000, False),
    ("gpt-4o-mini", 80_000, 10_000, True),
    ("gpt-4o-mini", 5_000, 2_000, False),
    ("gpt-4o", 100_000, 20_000, False),
    ("gpt-4o", 40_000, 8_000, True),
]


def price(model, prompt, completion):
    i, o = PRICES[model]
    return (prompt * i + completion * o) / 1_000_000


def admin_get(path):
    req = urllib.request.Request(ADMIN_URL + path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def admin_post(path, body):
    req = urllib.request.Request(
        ADMIN_URL + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def test_inventory_lists_both_models_with_counts_and_costs_to_the_cent():
    client = openai.OpenAI(base_url=BASE_URL, api_key=KEY, max_retries=0, timeout=30)
    expected = {}
    for model, prompt, completion, stream in CALLS:
        steer = {"mock": {"usage": {"prompt_tokens": prompt, "completion_tokens": completion}}}
        messages = [{"role": "user", "content": "what does this cost?"}]
        want = price(model, prompt, completion)
        if stream:
            chunks = client.chat.completions.create(
                model=model, messages=messages, stream=True,
                stream_options={"include_usage": True}, extra_body=steer)
            usage = [c.usage for c in chunks if c.usage is not None]
            assert usage and usage[-1].prompt_tokens == prompt
        else:
            raw = client.chat.completions.with_raw_response.create(
                model=model, messages=messages, extra_body=steer)
            assert abs(float(raw.headers["x-parapet-cost-usd"]) - want) < 1e-9
            assert raw.parse().usage.completion_tokens == completion
        n, cost = expected.get(model, (0, 0.0))
        expected[model] = (n + 1, cost + want)

    deadline = time.time() + 10
    while True:
        entries = {e["model"]: e for e in admin_get("/api/examination/inventory")["data"]}
        done = all(m in entries and entries[m]["total_requests"] == n for m, (n, _) in expected.items())
        if done or time.time() > deadline:
            break
        time.sleep(0.1)
    for model, (n, cost) in expected.items():
        e = entries[model]
        assert e["total_requests"] == n, e
        assert round(e["total_cost_usd"], 2) == round(cost, 2), (model, e["total_cost_usd"], cost)
        assert abs(e["total_cost_usd"] - cost) < 1e-6
        assert e["risk_tier"] == "Unclassified"
        tokens = sum(p + c for m, p, c, _ in CALLS if m == model)
        assert e["total_tokens"] == tokens

    spend = admin_get("/api/spend?group_by=model")
    by_model = {row["group"].split("/", 1)[1]: row for row in spend["data"]}
    for model, (n, cost) in expected.items():
        assert by_model[model]["requests"] == n
        assert abs(by_model[model]["cost_usd"] - cost) < 1e-6

    # The FFIEC report of the last hour shows the same use and cost per model, over a verified chain.
    now = datetime.datetime.now(datetime.timezone.utc)
    period = {"period_start": (now - datetime.timedelta(hours=1)).isoformat(),
              "period_end": (now + datetime.timedelta(minutes=1)).isoformat()}
    report = admin_post("/api/examination/report", {"report_type": "FFIEC", **period})
    ffiec = report["sections"]["ffiec"]
    used = {m["model"]: m for p in ffiec["third_party_providers"] for m in p["models"]}
    for model, (n, cost) in expected.items():
        assert used[model]["requests"] == n, used[model]
        assert abs(used[model]["cost_usd"] - cost) < 1e-6
    assert ffiec["audit_completeness"]["chain_verification"]["ok"] is True
    again = admin_post("/api/examination/report", {"report_type": "FFIEC", **period})
    assert again["id"] == report["id"] and again["cached"] is True
