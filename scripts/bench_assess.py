"""Time Detector.assess on one core over typical warmline messages, so a lexicon change that slows it shows.

Generates a seeded, deterministic JSONL of 20-300 character messages (mostly everyday talk, some risk,
English and Spanish, with texting noise), writes it, reads it back and assesses every message once in
this process. Prints {"messages", "seconds" (CPU), "per_second" (per CPU second), "mean_us"} as JSON; exits 1 below
--min-rate.

    .venv/bin/python -m scripts.bench_assess --messages 50000 --min-rate 20000
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from escalation.detector import Detector

ROOT = Path(__file__).resolve().parents[1]

EVERYDAY = {
    "en": [
        "work was rough today and my manager keeps piling things on me",
        "I can't sleep again, my brain won't shut off",
        "my girlfriend broke up with me last week and I keep replaying it",
        "honestly I just feel lonely since I moved here",
        "this exam is killing me lol",
        "my mom is gonna kill me when she sees my grades",
        "I'm so tired of my roommate leaving dishes everywhere",
        "I took my meds this morning, feeling a bit better",
        "had a panic attack at the store but I'm ok now",
        "can we just talk for a bit? rough day",
        "my dog died last month and the house is so quiet",
        "I'm dying to see that movie this weekend",
        "money is tight and rent is due on friday",
        "my phone died so sorry for the late reply",
        "I feel like nobody at school gets me",
        "thank you for listening, it helps to say it out loud",
        "I'm not suicidal or anything, just really stressed",
        "my dad yells a lot and it stresses me out",
        "I'm nervous about my interview tomorrow morning",
        "I keep overthinking every text I send",
    ],
    "es": [
        "hoy fue un día muy pesado en el trabajo",
        "me siento muy sola desde que me mudé",
        "no puedo dormir, tengo mucha ansiedad",
        "mi novio terminó conmigo y no paro de llorar",
        "me muero de risa con este video",
        "mi mamá me va a matar cuando vea mis calificaciones",
        "el trabajo me tiene muy estresada",
        "extraño mucho a mi abuela",
        "estoy muerto de cansancio después del turno",
        "gracias por escucharme, me siento un poco mejor",
        "no sé qué hacer con mi vida, me siento perdido",
        "me peleé con mi mejor amiga otra vez",
        "tengo que tomar mis pastillas para la presión",
        "me estresa mucho el dinero este mes",
        "quiero platicar con alguien un rato",
    ],
}
RISK = {
    "en": [
        "I want to die",
        "I've been thinking about killing myself",
        "i cant do this anymore i just want to end it all",
        "nobody would care if I was gone",
        "I have the pills in front of me",
        "I'm going to kill myself tonight",
        "I've been cutting again",
        "he hits me when he drinks",
        "I took like 30 pills",
        "kms fr",
        "I want to hurt him so bad",
    ],
    "es": [
        "ya no quiero vivir",
        "me quiero morir",
        "pienso en suicidarme todos los días",
        "me voy a matar esta noche",
        "me tomé 30 pastillas",
        "mi papá me pega cuando toma",
        "me corto para sentir algo",
        "todos estarían mejor sin mí",
    ],
}
EMOJI = ["😭", "😂", "🙃", "💀", "😔", "❤️", "🥲"]


def message(rng: random.Random, language: str) -> str:
    """One message of 20 to 300 characters: a few sentences, one in ten carrying a risk statement."""
    target = rng.randint(20, 300)
    parts: list[str] = []
    while sum(len(part) + 2 for part in parts) < target:
        pool = RISK[language] if rng.random() < 0.1 else EVERYDAY[language]
        parts.append(rng.choice(pool))
    text = rng.choice([". ", ", ", " ", "... "]).join(parts)
    if rng.random() < 0.4:
        text = text.lower().replace("'", "")
    if rng.random() < 0.3:
        text += " " + rng.choice(EMOJI)
    return text[:300] if len(text) > 300 else text


def generate(path: Path, count: int, seed: int) -> None:
    """Lines `warmline assess` reads: {"id", "language", "text"}."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            language = "en" if rng.random() < 0.65 else "es"
            out.write(
                json.dumps({"id": number, "language": language, "text": message(rng, language)}, ensure_ascii=False)
                + "\n"
            )


def webhook_added_latency(detector: Detector, texts: list[str]) -> dict[str, float]:
    """What assessment adds to one inbound webhook: the webhook reads every message with every
    lexicon (a texter's language may be guessed wrong), so time that call, one message at a time."""
    timings = []
    for text in texts:
        started = time.perf_counter()
        detector.assess(text)
        timings.append((time.perf_counter() - started) * 1e6)
    timings.sort()
    return {"p50": round(timings[len(timings) // 2], 1), "p99": round(timings[int(len(timings) * 0.99)], 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--min-rate", type=float, default=0.0, help="exit 1 below this many assessments per second")
    parser.add_argument("--unknown-language", action="store_true", help="assess with language=None (every lexicon)")
    parser.add_argument("--out", type=Path, help="where to write the generated JSONL (default: a temporary file)")
    args = parser.parse_args()

    detector = Detector.from_mappings(
        {
            path.stem: tomllib.loads(path.read_text("utf-8"))
            for path in sorted((ROOT / "config" / "lexicons").glob("*.toml"))
        }
    )
    with tempfile.TemporaryDirectory() as scratch:
        path = args.out or Path(scratch) / "messages.jsonl"
        generate(path, args.messages, args.seed)
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    messages = [(row["text"], None if args.unknown_language else row["language"]) for row in rows]

    assess = detector.assess
    # CPU time, not wall time: the line's figure is messages per CPU second, and other work on the machine
    # must not count against the detector.
    started = time.process_time()
    for text, language in messages:
        assess(text, language)
    seconds = time.process_time() - started

    rate = len(messages) / seconds
    print(
        json.dumps(
            {
                "messages": len(messages),
                "seconds": round(seconds, 4),
                "per_second": round(rate),
                "mean_us": round(1e6 / rate, 2),
                "webhook_added_us": webhook_added_latency(detector, [text for text, _ in messages[:5000]]),
            }
        )
    )
    if rate < args.min_rate:
        print(f"too slow: {rate:.0f} assessments per second, below --min-rate {args.min_rate:.0f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
