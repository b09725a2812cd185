#!/usr/bin/env python3
"""Generate a reproducible synthetic customer-service corpus in coach's canonical JSONL.

    python3 bench/generate.py --conversations 20000 --seed 1 --out bench/out/corpus.jsonl
    python3 bench/generate.py --conversations 20000 --seed 1 --out bench/out/corpus.jsonl.gz

One conversation per line:
    {"id", "agent", "channel", "turns": [{"speaker": "agent"|"customer", "text", "name"}]}

Conversations have 4-12 turns, alternate customer/agent (the customer opens),
and each turn holds about 15-60 words assembled from sentence templates. Agent
replies are mostly neutral information and filler (order numbers, dates,
amounts); a minority carry advocacy, blocking language, apologies with varying
elements, or non-apologies, so most turns have no finding, as in real exports.

Everything comes from one `random.Random(seed)`: the same --conversations and
--seed always give byte-identical output (the gzip header's mtime is fixed at 0).
Lines are written as they are made; the corpus is never held in memory.

A sidecar `OUT.meta.json` records the counts (conversations, turns, words =
whitespace tokens of all turn texts) so bench/run.py need not re-count them.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import random
import sys
import time

VERSION = 2  # bump when the output for a given seed changes; bench/run.py regenerates stale corpora
# --- pools -------------------------------------------------------------------------

AGENT_FIRST = [
    "Aisha",
    "Ben",
    "Carla",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jamal",
    "Kara",
    "Liam",
    "Maya",
    "Nikhil",
    "Olivia",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Andre",
    "Bianca",
    "Chen",
    "Dana",
    "Emeka",
    "Fatima",
    "Gabriel",
    "Hannah",
    "Ivan",
    "Julia",
    "Kofi",
    "Lena",
    "Marco",
    "Nora",
    "Oscar",
    "Priya",
    "Rafael",
    "Sofia",
    "Tomas",
    "Uma",
    "Victor",
    "Wendy",
    "Yara",
    "Zain",
]
AGENT_LAST = "ABCDEFGHJKLMNPRSTW"
AGENTS = [f"{first} {AGENT_LAST[i % len(AGENT_LAST)]}." for i, first in enumerate(AGENT_FIRST)]

CUSTOMER_FIRST = [
    "Alex",
    "Brenda",
    "Carlos",
    "Deborah",
    "Ethan",
    "Fiona",
    "George",
    "Helen",
    "Isaac",
    "Janet",
    "Kevin",
    "Laura",
    "Michael",
    "Nadia",
    "Owen",
    "Patricia",
    "Robert",
    "Sandra",
    "Thomas",
    "Ursula",
    "Vincent",
    "Whitney",
    "Xavier",
    "Yvonne",
    "Zachary",
    "Mei",
    "Ahmed",
    "Lucia",
]
CUSTOMER_LAST = [
    "Smith",
    "Garcia",
    "Nguyen",
    "Okafor",
    "Müller",
    "Rossi",
    "Kowalski",
    "Brown",
    "Silva",
    "Johnson",
    "Tanaka",
    "O'Brien",
    "Patel",
    "Dubois",
    "Hansen",
    "Lopez",
    "Cohen",
    "Ivanova",
]

CHANNELS = ["chat", "chat", "chat", "email", "email", "phone", "sms", "social"]

PRODUCTS = [
    "wireless headphones",
    "coffee maker",
    "running shoes",
    "standing desk",
    "winter jacket",
    "phone case",
    "air purifier",
    "blender",
    "office chair",
    "smart watch",
    "backpack",
    "espresso machine",
    "laptop stand",
    "yoga mat",
    "electric kettle",
    "monitor",
    "sofa cover",
]
COURIERS = ["UPS", "FedEx", "DHL", "the postal service", "our courier partner"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
PLANS = ["Basic", "Plus", "Premium", "Family", "Business"]

# Each scenario: the problem in the customer's words, plus the thing at stake.
SCENARIOS = [
    (
        "double_charge",
        "I was charged twice for order {order}",
        "there are two charges of {amount} on my card from {date}",
    ),
    ("late_delivery", "my order {order} still hasn't arrived", "the tracking page has said in transit since {date}"),
    ("damaged", "the {product} I received was broken", "the box was crushed and the {product} does not turn on"),
    (
        "wrong_item",
        "I got the wrong item in order {order}",
        "I ordered a {product} but the package had something else in it",
    ),
    (
        "refund_missing",
        "I still haven't received my refund for order {order}",
        "I returned the {product} on {date} and the money is not back",
    ),
    ("locked_account", "I am locked out of my account", "the reset link in the email expires before I can even use it"),
    (
        "cancel_sub",
        "I want to cancel my {plan} subscription",
        "I was billed {amount} again on {date} even though I asked to cancel",
    ),
    (
        "overdraft_fee",
        "you charged me an overdraft fee of {amount}",
        "the payment posted on {date} and the fee showed up the next day",
    ),
    ("app_crash", "the app keeps crashing when I try to pay", "it closes every time I tap the checkout button"),
    (
        "missing_part",
        "a part is missing from my {product}",
        "the instructions mention four screws but there were only two in the bag",
    ),
]

# --- customer sentences -------------------------------------------------------------

CUSTOMER_OPEN = [
    "Hi, {problem}.",
    "Hello, {problem} and I need help.",
    "Hi there. {Problem}.",
    "Good morning, {problem}.",
    "Hey, {problem}.",
    "I need some help because {problem}.",
]
CUSTOMER_DETAIL = [
    "Basically {detail}.",
    "To be specific, {detail}.",
    "{Detail}.",
    "As far as I can tell {detail}.",
    "I checked again this morning and {detail}.",
]
CUSTOMER_FEELING = [
    "This is really frustrating.",
    "I'm pretty upset about this.",
    "This is the third time I've contacted you about it.",
    "I've been a customer for years.",
    "Honestly I'm disappointed.",
    "I don't have time to keep chasing this.",
    "I needed it for a trip on {weekday}.",
    "Nobody has gotten back to me yet.",
    "This is unacceptable.",
    "I'm not happy with how this has been handled.",
    "It was supposed to be a gift.",
    "I expected better from you.",
]
CUSTOMER_FOLLOWUP = [
    "Okay, so what happens next?",
    "How long will that take?",
    "Can you just refund me instead?",
    "Is there really nothing else you can do?",
    "Why does this keep happening?",
    "Can I talk to a manager?",
    "So I just have to wait?",
    "My order number is {order} if that helps.",
    "The email on the account is {email}.",
    "I already tried restarting it twice.",
    "I paid with my credit card ending in {last4}.",
    "I can send a photo if you need one.",
    "The charge was {amount}.",
    "I placed the order on {date}.",
    "Will I get a confirmation email?",
    "What do I need to do on my end?",
]
# Plain facts: most of what customers write carries no complaint.
CUSTOMER_FACTS = [
    "I ordered it on {date}.",
    "It was the {product} from your website.",
    "I live in {city}.",
    "The total came to {amount}.",
    "My account email is {email}.",
    "I used the mobile app to order.",
    "I'm home most afternoons.",
    "The tracking number starts with 1Z.",
    "I paid by card.",
    "It was delivered to my office address.",
    "The order number is {order}.",
    "I have the receipt here.",
    "The box had a {courier} label on it.",
    "I'm on the {plan} plan.",
    "My name on the account is {cust_full}.",
    "I checked the spam folder too.",
    "The charge shows as pending on my statement.",
    "I bought two of them last year as well.",
]

CUSTOMER_CLOSE = [
    "Okay, thank you.",
    "Thanks for your help.",
    "Fine, I'll wait then.",
    "Alright, I appreciate it.",
    "Great, thanks so much.",
    "Okay. Bye.",
    "That works for me, thank you.",
    "I hope this gets sorted out this time.",
]

# --- agent sentences ----------------------------------------------------------------

AGENT_GREETING = [
    "Hi {cust}, thanks for reaching out.",
    "Hello {cust}, thank you for contacting us.",
    "Hi {cust}, my name is {agent_first} and I'll be helping you today.",
    "Thanks for getting in touch, {cust}.",
    "Good morning {cust}.",
]
NEUTRAL = [
    "I can see the order on your account.",
    "Your account details are on my screen now.",
    "The system shows the order as shipped.",
    "The item left our warehouse on {date}.",
    "Your account is under the {plan} plan.",
    "Refunds usually take five to seven business days to show on a statement.",
    "The tracking number is {tracking}.",
    "The package is with {courier} at the moment.",
    "I can see the charge of {amount} from {date}.",
    "I have updated the ticket with those details.",
    "Your case number is {case}.",
    "The order total was {amount} including shipping.",
    "I see the return was scanned at our facility on {date}.",
    "The reset link is valid for fifteen minutes after it is sent.",
    "There is a note on your account from {date}.",
    "Orders ship from our {city} warehouse.",
    "Delivery is estimated for {weekday}.",
    "You should receive a confirmation email shortly.",
    "The subscription renews on the {day} of each month.",
    "I can confirm the address on file ends in {zip}.",
]
FILLER = [
    "For reference, your order number is {order} and it was placed on {date}.",
    "Just to confirm, the order number is {order}.",
    "The shipment {tracking} was handed to {courier} on {date}.",
    "I'm looking at invoice {invoice} dated {date} for {amount}.",
    "Your ticket {case} was opened on {date} at {time}.",
    "I see a payment of {amount} on {date} with the card ending in {last4}.",
    "The item code is {sku} and the quantity is {qty}.",
    "Order {order} contains {qty} items and was billed on {date}.",
    "Can you confirm the email address on the account for me?",
    "Could you please send a photo of the {product} and the packaging?",
    "Can you tell me the date on the receipt?",
    "The {product} has a one year warranty.",
    "Our {city} warehouse handles your region.",
    "The last update on the tracking page was on {date}.",
    "The order was packed on {date} and picked up the next morning.",
]
ADVOCACY = [
    "Let me see what I can do about this.",
    "I'll look into this right away.",
    "One moment while I check that for you.",
    "Let me pull up your account details.",
    "I'm going to take care of this for you personally.",
    "I'll make sure this gets resolved today.",
    "Here's what I can do for you.",
    "I'll personally follow up with the warehouse.",
    "I'm going to escalate this to our billing team and stay on it until it's fixed.",
    "Let me find the fastest way to get this sorted.",
    "I'll check with my supervisor and get back to you within the hour.",
    "I can absolutely help with that.",
]
BLOCKING = [
    "Unfortunately there's nothing I can do about that.",
    "I'm afraid it's company policy.",
    "You'll have to contact your bank about the charge.",
    "That's not my department.",
    "There is nothing we can do once the order has shipped.",
    "It's our policy not to refund shipping costs.",
    "You will need to call the courier directly.",
    "I can't do anything about the fee.",
    "That's just how the system works.",
    "You'll have to wait like everyone else.",
    "We don't do exchanges on sale items.",
    "You'll have to fill out the form on our website.",
]
APOLOGY_REGRET = [
    "I'm sorry for the trouble.",
    "I'm really sorry about this.",
    "I apologize for the delay.",
    "I'm so sorry this happened.",
    "I'm sorry you had to deal with this.",
    "Please accept my apologies.",
]
APOLOGY_RESPONSIBILITY = [
    "That was our mistake.",
    "This is on us.",
    "We got this wrong.",
    "That was my error, I should have checked the address.",
    "We dropped the ball here.",
]
APOLOGY_EXPLANATION = [
    "It happened because our payment system ran the charge twice during an outage.",
    "The delay was caused by a backlog at our warehouse.",
    "A labeling error sent your package to the wrong depot.",
]
APOLOGY_REPAIR = [
    "I've refunded the fee.",
    "I've issued a full refund of {amount}.",
    "I've sent a replacement by express shipping at no cost.",
    "I've credited {amount} to your account.",
    "I've reversed the second charge.",
]
APOLOGY_REPENTANCE = [
    "We've fixed the issue so it won't happen again.",
    "I've flagged this so it doesn't happen to anyone else.",
    "We're changing how we check these orders so this doesn't happen again.",
]
APOLOGY_FORGIVENESS = [
    "I hope you can forgive us.",
    "I hope you'll give us another chance.",
]
NON_APOLOGY = [
    "Sorry for any inconvenience.",
    "We apologize for any inconvenience this may have caused.",
    "I'm sorry you feel that way.",
    "Sorry if this caused any confusion.",
    "We regret any inconvenience.",
    "Sorry, but that's the rule.",
]
AGENT_CLOSE = [
    "Is there anything else I can help you with today?",
    "Thanks for your patience.",
    "Have a great rest of your day.",
    "Feel free to reply to this message if anything changes.",
    "Thank you for being a customer.",
    "Take care.",
]

CITIES = ["Denver", "Rotterdam", "Leeds", "Austin", "Lyon", "Toronto", "Memphis"]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Maker:
    """Builds one conversation at a time from a seeded Random."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    # -- slot values ------------------------------------------------------------------
    def slots(self) -> dict[str, str]:
        r = self.rng
        first = r.choice(CUSTOMER_FIRST)
        last = r.choice(CUSTOMER_LAST)
        date = f"{r.choice(MONTHS)} {r.randint(1, 28)}"
        return {
            "cust": first,
            "cust_full": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower().replace(chr(39), '')}@example.com",
            "order": f"#{r.randint(100000, 999999)}",
            "amount": f"${r.randint(5, 400)}.{r.randint(0, 99):02d}",
            "date": date,
            "weekday": r.choice(WEEKDAYS),
            "product": r.choice(PRODUCTS),
            "plan": r.choice(PLANS),
            "courier": r.choice(COURIERS),
            "tracking": f"1Z{r.randint(10**9, 10**10 - 1)}",
            "case": f"CS-{r.randint(10000, 99999)}",
            "invoice": f"INV-{r.randint(1000000, 9999999)}",
            "last4": f"{r.randint(0, 9999):04d}",
            "time": f"{r.randint(8, 19)}:{r.choice(['00', '15', '30', '45'])}",
            "sku": f"SKU-{r.randint(1000, 9999)}-{r.choice('ABCDEFGH')}",
            "qty": str(r.randint(2, 4)),
            "city": r.choice(CITIES),
            "day": _ordinal(r.randint(1, 28)),
            "zip": f"{r.randint(10, 99)}",
        }

    def fill(self, template: str, s: dict[str, str]) -> str:
        return template.format(**s)

    # -- turns ------------------------------------------------------------------------
    def pad(self, sentences: list[str], pool: list[str], s: dict[str, str], low: int, high: int) -> str:
        """Add sentences from `pool` until the turn has at least `low` words (at most `high` if possible)."""
        r = self.rng
        target = r.randint(low, high)
        words = sum(len(x.split()) for x in sentences)
        tries = 0
        while words < target and tries < 20:
            tries += 1
            extra = self.fill(r.choice(pool), s)
            n = len(extra.split())
            if words + n > high and words >= low:
                break
            if extra in sentences:
                continue
            sentences.append(extra)
            words += n
        return " ".join(sentences)

    def customer_turn(self, index: int, last: bool, s: dict[str, str]) -> str:
        r = self.rng
        if index == 0:
            opener = self.fill(r.choice(CUSTOMER_OPEN), s)
            out = [opener, self.fill(r.choice(CUSTOMER_DETAIL), s)]
            if r.random() < 0.5:
                out.append(self.fill(r.choice(CUSTOMER_FEELING), s))
            return self.pad(out, CUSTOMER_FACTS, s, 15, 60)
        if last:
            return self.pad([self.fill(r.choice(CUSTOMER_CLOSE), s)], CUSTOMER_FACTS, s, 15, 35)
        out = [self.fill(r.choice(CUSTOMER_FOLLOWUP), s)]
        if r.random() < 0.15:
            out.append(self.fill(r.choice(CUSTOMER_FEELING), s))
        return self.pad(out, CUSTOMER_FACTS + CUSTOMER_FOLLOWUP, s, 15, 50)

    def apology(self, s: dict[str, str]) -> list[str]:
        """An apology with a random subset of elements, in a natural order."""
        r = self.rng
        parts = [r.choice(APOLOGY_REGRET)]
        for pool, p in (
            (APOLOGY_RESPONSIBILITY, 0.45),
            (APOLOGY_EXPLANATION, 0.3),
            (APOLOGY_REPAIR, 0.5),
            (APOLOGY_REPENTANCE, 0.2),
            (APOLOGY_FORGIVENESS, 0.08),
        ):
            if r.random() < p:
                parts.append(self.fill(r.choice(pool), s))
        return parts

    def agent_turn(self, index: int, last: bool, s: dict[str, str]) -> str:
        r = self.rng
        out: list[str] = []
        if index == 1:
            out.append(self.fill(r.choice(AGENT_GREETING), s))
        # One "kind" per reply at most; most replies are plain information.
        roll = r.random()
        if roll < 0.14:
            out.append(r.choice(ADVOCACY))
        elif roll < 0.23:
            out.append(r.choice(BLOCKING))
        elif roll < 0.33:
            out.extend(self.apology(s))
        elif roll < 0.39:
            out.append(r.choice(NON_APOLOGY))
        elif roll < 0.42:  # a mixed reply: apology then a block, or advocacy then repair
            if r.random() < 0.5:
                out += [r.choice(APOLOGY_REGRET), r.choice(BLOCKING)]
            else:
                out += [r.choice(ADVOCACY), self.fill(r.choice(APOLOGY_REPAIR), s)]
        out.insert(0 if index != 1 else 1, self.fill(r.choice(NEUTRAL + FILLER), s))
        if not last:
            return self.pad(out, NEUTRAL + FILLER, s, 15, 60)
        close = r.choice(AGENT_CLOSE)
        return self.pad(out, NEUTRAL + FILLER, s, 15, 60 - len(close.split())) + " " + close

    def conversation(self, number: int) -> dict:
        r = self.rng
        s = self.slots()
        agent = r.choice(AGENTS)
        s["agent_first"] = agent.split()[0]
        _, problem, detail = r.choice(SCENARIOS)
        s["problem"] = self.fill(problem, s)
        s["Problem"] = s["problem"][0].upper() + s["problem"][1:]
        s["detail"] = self.fill(detail, s)
        s["Detail"] = s["detail"][0].upper() + s["detail"][1:]
        n_turns = r.randint(4, 12)
        turns = []
        for i in range(n_turns):
            last = i >= n_turns - 2
            if i % 2 == 0:
                turns.append(
                    {"speaker": "customer", "text": self.customer_turn(i, i == n_turns - 1, s), "name": s["cust_full"]}
                )
            else:
                turns.append({"speaker": "agent", "text": self.agent_turn(i, last, s), "name": agent})
        return {"id": f"conv-{number:08d}", "agent": agent, "channel": r.choice(CHANNELS), "turns": turns}


def open_out(path: str, compress: bool):
    """A text stream to `path`; gzip with a fixed mtime (reproducible bytes) when `compress`."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    if compress:
        raw = open(path, "wb")  # noqa: SIM115 -- returned to the caller, who closes it
        gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
        return io.TextIOWrapper(gz, encoding="utf-8", newline="\n"), raw
    return open(path, "w", encoding="utf-8", newline="\n"), None


def generate(conversations: int, seed: int, out: str) -> dict:
    """Write the corpus to `out` (via a temp file, renamed at the end) and its .meta.json."""
    maker = Maker(random.Random(seed))
    tmp = out + ".tmp"
    words = turns = 0
    stream, raw = open_out(tmp, out.endswith(".gz"))
    try:
        for i in range(conversations):
            conv = maker.conversation(i + 1)
            for turn in conv["turns"]:
                words += len(turn["text"].split())
            turns += len(conv["turns"])
            stream.write(json.dumps(conv, ensure_ascii=False))
            stream.write("\n")
    finally:
        stream.close()
        if raw is not None:
            raw.close()
    os.replace(tmp, out)
    meta = {
        "conversations": conversations,
        "turns": turns,
        "words": words,
        "seed": seed,
        "bytes": os.path.getsize(out),
        "generator": VERSION,
    }
    with open(out + ".meta.json", "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=2)
        fh.write("\n")
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conversations", "-n", type=int, required=True, help="how many conversations")
    ap.add_argument("--seed", "-s", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--out", "-o", required=True, help="output path (.jsonl, or .jsonl.gz to compress)")
    args = ap.parse_args(argv)
    if args.conversations < 0:
        ap.error("--conversations must be >= 0")
    start = time.perf_counter()
    meta = generate(args.conversations, args.seed, args.out)
    took = time.perf_counter() - start
    print(
        f"wrote {meta['conversations']} conversations, {meta['turns']} turns, "
        f"{meta['words']} words ({meta['bytes'] / 1e6:.1f} MB) to {args.out} in {took:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
