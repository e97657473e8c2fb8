"""The official `openai` Python SDK against a running Parapet gateway.

Environment: PARAPET_BASE_URL (e.g. http://127.0.0.1:7777/v1), PARAPET_KEY (a virtual key),
PARAPET_MODEL (an alias routed to the mock upstream), PARAPET_ECHO_MODEL (the echo model),
PARAPET_EMBED_MODEL (optional; defaults to PARAPET_MODEL).
Run by tests/tests/python_sdk.rs, which starts the mock and the gateway.
"""

import json
import os

import openai
import pytest

BASE_URL = os.environ["PARAPET_BASE_URL"]
KEY = os.environ["PARAPET_KEY"]
MODEL = os.environ["PARAPET_MODEL"]
ECHO_MODEL = os.environ["PARAPET_ECHO_MODEL"]
EMBED_MODEL = os.environ.get("PARAPET_EMBED_MODEL", MODEL)

WIRE_TOOL = {
    "type": "function",
    "function": {
        "name": "wire_transfer",
        "description": "Send money",
        "parameters": {
            "type": "object",
            "properties": {"amount_usd": {"type": "number"}},
            "required": ["amount_usd"],
        },
    },
}


def make_client(key=KEY):
    # No SDK retries: a failure must show as the gateway answered it.
    return openai.OpenAI(base_url=BASE_URL, api_key=key, max_retries=0, timeout=30)


@pytest.fixture
def client():
    return make_client()


def user(text):
    return [{"role": "user", "content": text}]


def test_non_streaming_chat_returns_the_reply_and_usage(client):
    resp = client.chat.completions.create(model=MODEL, messages=user("hello sdk"))
    assert resp.choices[0].message.content == "hello sdk"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None and resp.usage.total_tokens > 0


def test_streaming_chat_yields_the_chunks_in_order(client):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=user("x"),
        stream=True,
        extra_body={"mock": {"chunks": ["Hel", "lo ", "SDK"]}},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello SDK"
    assert all(c.usage is None for c in chunks), "usage not asked for, so none delivered"


def test_streaming_with_include_usage_ends_with_the_usage_chunk(client):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=user("count me"),
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"mock": {"usage": {"prompt_tokens": 7, "completion_tokens": 3}}},
    )
    chunks = list(stream)
    last = chunks[-1]
    assert last.choices == []
    assert last.usage.prompt_tokens == 7
    assert last.usage.completion_tokens == 3
    assert last.usage.total_tokens == 10


def test_echo_model_streaming_and_not(client):
    resp = client.chat.completions.create(model=ECHO_MODEL, messages=user("echo this"))
    assert "echo this" in resp.choices[0].message.content
    stream = client.chat.completions.create(model=ECHO_MODEL, messages=user("echo that"), stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert "echo that" in text


def test_embeddings_return_one_vector_per_input(client):
    resp = client.embeddings.create(model=EMBED_MODEL, input=["alpha", "beta"])
    assert len(resp.data) == 2
    assert [d.index for d in resp.data] == [0, 1]
    assert len(resp.data[0].embedding) == 8
    assert all(isinstance(x, float) for x in resp.data[0].embedding)


def test_a_bad_key_raises_authentication_error():
    with pytest.raises(openai.AuthenticationError) as err:
        make_client("pk-not-a-real-key").chat.completions.create(model=MODEL, messages=user("x"))
    assert err.value.status_code == 401
    assert err.value.code == "invalid_api_key"
    assert "pk-not-a-real-key" not in str(err.value)


def test_an_unknown_model_raises_not_found_error(client):
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="no-such-model", messages=user("x"))
    assert err.value.status_code == 404
    assert err.value.code == "model_not_found"
    assert err.value.param == "model"


def test_a_bad_request_raises_bad_request_error(client):
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=MODEL, messages=user("x"), extra_body={"messages": "not a list"})
    assert err.value.status_code == 400
    assert err.value.code == "invalid_type"
    assert err.value.param == "messages"


def test_an_upstream_failure_raises_api_status_error_502(client):
    with pytest.raises(openai.APIStatusError) as err:
        client.chat.completions.create(model=MODEL, messages=user("x"), extra_body={"mock": {"status": 500}})
    assert err.value.status_code == 502
    assert err.value.code == "upstream_error"


def test_a_tool_call_round_trip(client):
    steer = {"mock": {"tool_calls": [{"name": "wire_transfer", "arguments": {"amount_usd": 5}}]}}
    first = client.chat.completions.create(
        model=MODEL, messages=user("pay bob five dollars"), tools=[WIRE_TOOL], extra_body=steer
    )
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "wire_transfer"
    assert json.loads(call.function.arguments) == {"amount_usd": 5}

    followup = user("pay bob five dollars") + [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"status": "sent"})},
    ]
    second = client.chat.completions.create(
        model=MODEL, messages=followup, tools=[WIRE_TOOL], extra_body={"mock": {"reply": "Done: $5 sent."}}
    )
    assert second.choices[0].message.content == "Done: $5 sent."
    assert second.choices[0].finish_reason == "stop"


def test_a_streamed_tool_call_assembles_to_valid_arguments(client):
    steer = {"mock": {"tool_calls": [{"name": "wire_transfer", "arguments": {"amount_usd": 5, "memo": "rent"}}]}}
    stream = client.chat.completions.create(
        model=MODEL, messages=user("pay rent"), tools=[WIRE_TOOL], stream=True, extra_body=steer
    )
    name, args, finish = None, "", None
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        for tc in delta.tool_calls or []:
            if tc.function and tc.function.name:
                name = tc.function.name
            if tc.function and tc.function.arguments:
                args += tc.function.arguments
        finish = chunk.choices[0].finish_reason or finish
    assert name == "wire_transfer"
    assert json.loads(args) == {"amount_usd": 5, "memo": "rent"}
    assert finish == "tool_calls"
