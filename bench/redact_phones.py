"""How well `--redact` tells phone numbers from dates, ids and amounts: coach's regexes against
Google's libphonenumber (the `phonenumbers` package, if installed), on a labeled list of snippets.

    python3 bench/redact_phones.py            # regexes only
    pip install phonenumbers && python3 bench/redact_phones.py

A snippet counts as masked when its number changed. Phone numbers should be masked (recall);
dates, ticket/order ids, amounts and times should be kept (precision).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coach.redact import redact_text  # noqa: E402

PHONES = [
    "Call me on +1 415 555 0132 tomorrow.",
    "My cell is 415-555-0132.",
    "Reach me at (415) 555-0132.",
    "UK mobile: 07700 900123",
    "Landline 020 7946 0958 after six.",
    "Ring +44 20 7946 0958 please.",
    "Tel. +49 30 901820",
    "Call 0176 1234 5678.",
    "+33 1 42 68 53 00 is the office.",
    "number is 415.555.0132",
    "whatsapp +61 4 1234 5678",
    "My phone number: 555 123 4567",
    "call +91 98765 43210 anytime",
    "try 1-800-555-0199",
    "text 4155550132 when ready",
    "Phone: +353 1 234 5678",
    "reach me on 06 12 34 56 78",
    "her number +1 (212) 555-0100",
]
KEPT = [
    "On 2024-03-04 at 10:32 the order shipped.",
    "Ticket #48213377 is open.",
    "Your order 1234567 left today.",
    "Order no. 99-1234-5678 was refunded.",
    "Since 04.03.2024 nothing arrived.",
    "Case: AB-77123456 escalated.",
    "Invoice INV-2024-0001 is attached.",
    "Tracking 1Z 999 AA1 0123 4567 84",
    "Refund of 1,234.56 USD sent.",
    "Version 3.12.1 fixed it.",
    "Meeting at 10:30-11:45.",
    "Booking ref 5521 8890 confirmed.",
    "Dated 2023/12/31 in our system.",
    "We shipped 250 units in 2023.",
    "reservation 20240304-77 is held",
    "Order ID 112-3345566-7788990 (Amazon)",
    "the 12/25/2024 delivery",
    "ticket 2024-000123 reopened",
]


def masked(text: str, redact) -> bool:
    return redact(text) != text


def libphonenumber(region: str):
    import phonenumbers

    def redact(text: str) -> str:
        out = text
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            out = out[: m.start] + "*" * (m.end - m.start) + out[m.end :]
        return out

    return redact


def report(name: str, redact) -> None:
    start = time.perf_counter()
    hits = sum(masked(t, redact) for t in PHONES)
    false = [t for t in KEPT if masked(t, redact)]
    seconds = time.perf_counter() - start
    total = hits + len(false)
    precision = hits / total if total else 1.0
    print(
        f"{name:<28} phones masked {hits}/{len(PHONES)} (recall {hits / len(PHONES):.2f})  "
        f"dates/ids masked {len(false)}/{len(KEPT)} (precision {precision:.2f})  "
        f"{seconds * 1000 / (len(PHONES) + len(KEPT)):.2f} ms/snippet"
    )
    for text in false:
        print(f"    kept-list masked: {text!r} -> {redact(text)!r}")
    for text in (t for t in PHONES if not masked(t, redact)):
        print(f"    phone missed:     {text!r}")


def main() -> None:
    report("coach regexes", redact_text)
    try:
        import phonenumbers  # noqa: F401
    except ImportError:
        print("phonenumbers is not installed: pip install phonenumbers to compare")
        return
    for region in ("US", "GB"):
        report(f"phonenumbers (region {region})", libphonenumber(region))


if __name__ == "__main__":
    main()
