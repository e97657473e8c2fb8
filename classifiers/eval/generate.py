#!/usr/bin/env python3
"""Writes the classifier evaluation set: watchlist.json and corpus.jsonl (fixed seed).

    pip install -r classifiers/eval/requirements.txt
    python3 classifiers/eval/generate.py

Each corpus line is {"id", "text", "labels", "kind"}: `labels` is what a correct classifier
reports for the whole text, `kind` names the template family (per-kind recall in the report).
Identifiers get their check digits from python-stdnum; people, companies, e-mails and phones
come from Faker. Negatives are look-alikes: broken check digits, public earnings news about
companies that are not on the watch list, ordinary uses of ticker-like words.
"""

import json
import os
import random

from faker import Faker
from stdnum import cusip, iban, isin, luhn
from stdnum.us import rtn

SEED = 20250104
HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(SEED)
fake = Faker("en_US")
Faker.seed(SEED)

SECTORS = ["Biotech", "Timber", "Robotics", "Pharmaceuticals", "Semiconductors", "Shipping",
           "Materials", "Aerospace", "Foods", "Analytics"]
TICKER_STOP = {"BANK", "CASH", "DEAL", "FUND", "LOAN", "RISK", "BOOK", "SELL", "HOLD", "LONG",
               "RATE", "DATA", "PLAN", "TEAM", "NEWS", "MORE", "THAT", "WITH", "THIS", "FROM"}

# ---------------------------------------------------------------- watch list
surnames = []
while len(surnames) < 40:
    s = fake.unique.last_name()
    if s.isalpha() and len(s) >= 5:
        surnames.append(s)
issuers = []
for i, s in enumerate(surnames[:30]):
    ticker = ""
    while not ticker or ticker in TICKER_STOP:
        ticker = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
    issuers.append({"name": f"{s} {SECTORS[i % len(SECTORS)]}", "ticker": ticker, "aliases": [s],
                    "list": "restricted" if i % 5 == 0 else "watch"})
code_words = ["Falcon", "Lighthouse", "Juniper", "Granite", "Heron", "Monarch", "Tundra", "Sapphire"]
deals = []
for k, w in enumerate(code_words):
    target = issuers[(k * 3 + 1) % len(issuers)]
    deals.append({"code_name": f"Project {w}", "target": target["name"],
                  "acquirer": f"{fake.unique.last_name()} Partners"})
watch = [x for x in issuers if x["list"] == "watch"]
restricted = [x for x in issuers if x["list"] == "restricted"]
# Companies for negatives: none of their words may be a watch-list name or alias.
listed_words = {w for x in issuers for w in x["name"].split()} | {d["acquirer"].split()[0] for d in deals}
outsiders = []
while len(outsiders) < 40:
    s = fake.last_name()
    if s.isalpha() and s not in listed_words:
        outsiders.append(f"{s} {rng.choice(['Industries', 'Group', 'Motors', 'Retail', 'Systems'])}")

# ---------------------------------------------------------------- identifiers
def card_number(valid=True):
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("37", 15), ("6011", 16), ("4", 13)])
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    check = luhn.calc_check_digit(body)
    if not valid:
        check = str((int(check) + rng.randrange(1, 10)) % 10)
    num = body + check
    style = rng.choice(["plain", "space", "dash"])
    if style == "plain" or length != 16:
        return num
    sep = " " if style == "space" else "-"
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def ssn(valid=True):
    if valid:
        area = rng.choice([n for n in range(1, 900) if n != 666])
        group, serial = rng.randrange(1, 100), rng.randrange(1, 10000)
    else:
        area = rng.choice([0, 666, rng.randrange(900, 1000)])
        group, serial = rng.randrange(1, 100), rng.randrange(1, 10000)
    return f"{area:03d}-{group:02d}-{serial:04d}"


IBAN_FORMATS = {"GB": ("WEST", 14, "digits"), "DE": ("", 18, "digits"), "FR": ("", 23, "digits"),
                "NL": ("ABNA", 10, "digits"), "ES": ("", 20, "digits"), "IT": ("X", 22, "digits"),
                "CH": ("", 17, "digits"), "BE": ("", 12, "digits")}


def iban_number(valid=True, grouped=None):
    cc = rng.choice(sorted(IBAN_FORMATS))
    bank, ndigits, _ = IBAN_FORMATS[cc]
    bban = bank + "".join(str(rng.randrange(10)) for _ in range(ndigits))
    check = iban.calc_check_digits(cc + "00" + bban)
    if not valid:
        check = f"{(int(check) + rng.randrange(1, 90)) % 97 + 2:02d}"
    num = cc + check + bban
    if not valid and iban.is_valid(num):
        return iban_number(valid, grouped)
    if grouped is None:
        grouped = rng.random() < 0.5
    return " ".join(num[i:i + 4] for i in range(0, len(num), 4)) if grouped else num


def routing(valid=True):
    while True:
        prefix = rng.choice(["0", "1", "2", "3"]) if True else ""
        first2 = rng.choice(list(range(1, 13)) + list(range(21, 33)) + list(range(61, 73)) + [80])
        body = f"{first2:02d}" + "".join(str(rng.randrange(10)) for _ in range(6))
        check = rtn.calc_check_digit(body)
        if not valid:
            check = str((int(check) + rng.randrange(1, 10)) % 10)
        return body + check


def cusip_number(valid=True, letters=True):
    base = "".join(str(rng.randrange(10)) for _ in range(3))
    pool = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ" if letters else "0123456789"
    tail = "".join(rng.choice(pool) for _ in range(5))
    if letters and not any(c.isalpha() for c in tail):
        tail = tail[:4] + "P"
    body = base + tail
    check = cusip.calc_check_digit(body)
    if not valid:
        check = str((int(check) + rng.randrange(1, 10)) % 10)
    return body + check


def isin_number(valid=True):
    cc = rng.choice(["US", "GB", "DE", "FR", "JP", "CH", "NL"])
    body = cc + "".join(rng.choice("0123456789") for _ in range(9))
    check = isin.calc_check_digit(body)
    if not valid:
        check = str((int(check) + rng.randrange(1, 10)) % 10)
    return body + check


def phone():
    a, b, c = rng.randrange(201, 990), rng.randrange(200, 1000), rng.randrange(0, 10000)
    return rng.choice([f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"+1 {a} {b} {c:04d}", f"{a}.{b}.{c:04d}"])


# ---------------------------------------------------------------- templates
def person():
    return fake.name()


def money():
    return rng.choice([f"${rng.randrange(1, 900)} million", f"${rng.randrange(1, 40)}.{rng.randrange(10)} billion",
                       f"{rng.randrange(2, 60)}%"])


def quarter():
    return rng.choice(["Q1", "Q2", "Q3", "Q4", "third-quarter", "fourth-quarter"])


def issuer_ref(x):
    return rng.choice([x["name"], x["aliases"][0], x["ticker"], "$" + x["ticker"]])


examples = []


def add(kind, text, labels):
    examples.append({"id": f"{kind}-{len(examples):04d}", "text": text, "labels": sorted(set(labels)), "kind": kind})


def mention_labels(x):
    return ["mnpi"] if x["list"] == "restricted" else []


for _ in range(70):
    add("card", rng.choice([
        "Please charge card {n} for the renewal, {p}.",
        "Customer {p} read out her card number {n} over the phone.",
        "{n} is the card on file; expiry 09/27.",
        "Refund the last payment to the Visa ending card {n}",
    ]).format(n=card_number(), p=person()), ["pii", "customer_npi"])
for _ in range(40):
    add("card_invalid", rng.choice([
        "Card {n} was declined as invalid.",
        "Reference number {n} belongs to the shipment.",
    ]).format(n=card_number(valid=False)), [])
for _ in range(60):
    add("ssn", rng.choice([
        "{p}'s SSN is {s}.",
        "Social security number: {s} ({p})",
        "Verify identity with SSN {s} before opening the file.",
        "The applicant, {p}, listed {s} on the form.",
    ]).format(s=ssn(), p=person()), ["pii"])
for _ in range(30):
    add("ssn_invalid", "Form number {s} was rejected by the registry.".format(s=ssn(valid=False)), [])
for _ in range(60):
    add("iban", rng.choice([
        "Wire the settlement to IBAN {i} by Friday.",
        "{p} asked us to pay into {i}.",
        "Beneficiary {p}, IBAN: {i}",
    ]).format(i=iban_number(), p=person()), ["pii", "customer_npi"])
for _ in range(30):
    add("iban_invalid", "Code {i} failed validation in the payments screen.".format(i=iban_number(valid=False)), [])
for _ in range(60):
    add("aba", rng.choice([
        "Use routing number {r} for the incoming wire.",
        "ABA {r}, reference {p}",
        "The bank's routing number is {r}.",
    ]).format(r=routing(), p=person()), ["customer_npi"])
for _ in range(30):
    add("aba_invalid", "Routing number {r} bounced: check the digits.".format(r=routing(valid=False)), [])
for _ in range(40):
    n = "".join(str(rng.randrange(10)) for _ in range(rng.randrange(8, 13)))
    add("account", rng.choice([
        "Please freeze account {n} pending review.",
        "{p}'s checking account number is {n}.",
    ]).format(n=n, p=person()), ["customer_npi"])
for _ in range(45):
    add("cusip_trading", rng.choice([
        "Bought 25,000 of CUSIP {c} for the income fund this morning.",
        "Sell the bonds, CUSIP {c}, before the close.",
    ]).format(c=cusip_number()), ["trading_position"])
for _ in range(30):
    add("cusip_filing", rng.choice([
        "Add CUSIP {c} to the 13F holdings table.",
        "The prospectus lists CUSIP {c} for the new notes.",
    ]).format(c=cusip_number(letters=rng.random() < 0.5)), ["regulatory_filing"])
for _ in range(30):
    add("cusip_invalid", "Ticket {c} was closed yesterday.".format(c=cusip_number(valid=False)), [])
for _ in range(45):
    add("isin_trading", rng.choice([
        "We hold 1.2m nominal of {i} in the book.",
        "Buy 10,000 shares of {i} at the open.",
        "Client order: sell {i}, limit 42.10",
    ]).format(i=isin_number()), ["trading_position"])
for _ in range(30):
    add("isin_filing", "Report {i} in the 13F filing for the quarter.".format(i=isin_number()), ["regulatory_filing"])
for _ in range(30):
    add("isin_invalid", "Batch {i} failed to load.".format(i=isin_number(valid=False)), [])
for _ in range(40):
    add("email", "Send the statements to {e} and copy {p}.".format(e=fake.email(), p=person()), ["pii"])
for _ in range(40):
    add("phone", "Call {p} on {t} after lunch.".format(p=person(), t=phone()), ["pii"])

EARN = [
    "{x} will report {q} revenue of {m}, well above consensus.",
    "Heads up: {x}'s {q} earnings are going to miss badly.",
    "The {q} numbers for {x} show EPS falling {m}.",
    "{x} is about to cut guidance for the full year.",
    "Margins at {x} collapsed last quarter; the results come out Tuesday.",
    "Internal forecast: {x} profit warning coming next week.",
]
for _ in range(110):
    x = rng.choice(issuers)
    add("earnings", rng.choice(EARN).format(x=issuer_ref(x), q=quarter(), m=money()),
        ["mnpi", "earnings_data"] + mention_labels(x))
DEAL = [
    "{a} is preparing a tender offer for {x} at a {m} premium.",
    "We are running due diligence on {x} for the acquisition.",
    "{x} has signed a letter of intent to merge with {a}.",
    "The board of {x} will accept the buyout offer from {a}.",
    "Term sheet for the {x} takeover lands tomorrow.",
]
for _ in range(100):
    x = rng.choice(issuers)
    a = rng.choice(deals)["acquirer"]
    add("deal", rng.choice(DEAL).format(x=issuer_ref(x), a=a, m=money()),
        ["mnpi", "merger_acquisition_target"] + mention_labels(x))
for _ in range(40):
    d = rng.choice(deals)
    add("code_name", rng.choice([
        "Any update on {c}? The client wants a date.",
        "Keep {c} off the shared calendar.",
        "{c} model v3 attached.",
    ]).format(c=d["code_name"]), ["mnpi", "merger_acquisition_target"])
for _ in range(60):
    add("mnpi_phrase", rng.choice([
        "This is material non-public information, do not forward.",
        "The numbers are not yet public, so keep them inside the team.",
        "You were wall-crossed on this last night.",
        "Please hold the memo until after the announcement; it has not been announced.",
        "Treat the attached as inside information.",
    ]), ["mnpi"])
for _ in range(30):
    add("phi", rng.choice([
        "{p} was diagnosed with type 2 diabetes in March.",
        "Attach the discharge summary for {p}.",
        "Patient {p}: medical record number pending, prescribed metformin.",
    ]).format(p=person()), ["phi"])
for _ in range(30):
    add("trading_phrase", rng.choice([
        "We are long 3 million shares going into the print.",
        "The desk is short the sector after the downgrade.",
        "Our position in the 2031 notes is now at the limit.",
    ]), ["trading_position"])

# Negatives: public earnings and deals of companies not on the list, plain prose.
PUBLIC = [
    "{o} reported {q} revenue of {m} on Tuesday, in line with consensus.",
    "Shares of {o} rose after its earnings release beat estimates.",
    "{o} completed its acquisition of a regional competitor last year, according to its annual report.",
    "Analysts expect {o} to raise guidance at the investor day.",
]
for _ in range(110):
    add("public_news", rng.choice(PUBLIC).format(o=rng.choice(outsiders), q=quarter(), m=money()), [])
for _ in range(50):
    x = rng.choice(watch)
    add("watch_mention", rng.choice([
        "{x} moved its headquarters to a new campus.",
        "Lunch with the {x} investor relations team was pleasant.",
    ]).format(x=x["name"]), [])
for _ in range(40):
    add("plain", fake.paragraph(nb_sentences=3), [])
for _ in range(40):
    add("ticker_words", rng.choice([
        "We ALL agreed the plan is GOOD and the RISK is low.",
        "The KEY point is that IT needs a NEW budget.",
        "Call the front desk at extension 4412 for parking.",
        "Our target is to grow the team by 12 people in 2025.",
    ]), [])

rng.shuffle(examples)
with open(os.path.join(HERE, "watchlist.json"), "w") as f:
    json.dump({"issuers": issuers, "deal_code_names": deals}, f, indent=1)
    f.write("\n")
with open(os.path.join(HERE, "corpus.jsonl"), "w") as f:
    for e in examples:
        f.write(json.dumps(e, ensure_ascii=False) + "\n")
print(f"{len(examples)} examples, {len(issuers)} issuers, {len(deals)} deals")
