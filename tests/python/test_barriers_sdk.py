"""Information barriers through the official `openai` Python SDK (run by tests/tests/barriers.rs).

Environment: PARAPET_BASE_URL, PARAPET_MODEL, PARAPET_ANALYST_KEY (a Research-Analysts user),
PARAPET_TRADER_KEY (a Trading-Desk user), PARAPET_MNPI_PROMPT.
"""

import os

import openai
import pytest

BASE_URL = os.environ["PARAPET_BASE_URL"]
MODEL = os.environ["PARAPET_MODEL"]
ANALYST = os.environ["PARAPET_ANALYST_KEY"]
TRADER = os.environ["PARAPET_TRADER_KEY"]
PROMPT = os.environ["PARAPET_MNPI_PROMPT"]


def client(key):
    return openai.OpenAI(base_url=BASE_URL, api_key=key, max_retries=0, timeout=30)


def ask(key, stream):
    return client(key).chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": PROMPT}],
        stream=stream,
        extra_body={"mock": {"reply": "Noted."}},
    )


def test_the_analyst_gets_an_answer_without_streaming():
    r = ask(ANALYST, False)
    assert r.choices[0].message.content == "Noted."


def test_the_analyst_gets_an_answer_streaming():
    text = "".join(c.choices[0].delta.content or "" for c in ask(ANALYST, True) if c.choices)
    assert text == "Noted."


@pytest.mark.parametrize("stream", [False, True])
def test_the_trader_is_refused_with_information_barrier(stream):
    with pytest.raises(openai.PermissionDeniedError) as e:
        r = ask(TRADER, stream)
        if stream:
            list(r)
    assert e.value.status_code == 403
    assert e.value.code == "information_barrier"


def test_a_streamed_answer_turning_to_mnpi_raises_before_the_words_arrive():
    got = []
    stream = client(TRADER).chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Anything new in biotech?"}],
        stream=True,
        extra_body={"mock": {"chunks": ["Markets were calm today. ", "But Halvorsen ",
                                         "Biotech will miss ", "its Q3 earnings guidance."]}},
    )
    with pytest.raises(openai.APIError) as e:
        for c in stream:
            if c.choices:
                got.append(c.choices[0].delta.content or "")
    text = "".join(got)
    assert "Markets were calm" in text
    assert "Halvorsen" not in text
    assert "information barrier" in str(e.value)
