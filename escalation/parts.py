"""The parts risk is made of: kinds of words a lexicon lists, and where one was found in a message.

Risk is rarely one phrase. "took 40 of my moms tylenol an hour ago" is an act done (took), a
medicine (tylenol), a quantity (40) and a time (an hour ago); none of the words alarms alone, and
each kind has hundreds of words in both languages. The lexicons list words by kind, as data; the
model (escalation/model.py) says which kinds together make which risk, at which level.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import reduce
from operator import itemgetter, or_
from typing import NamedTuple


class Kind(StrEnum):
    """A kind of word or phrase; the lexicon's [words] tables are named after these values."""

    # What the texter may do to themself.
    SELF_KILL = "self_kill"  # suicide, kill myself, end it all, suicidarme
    DIE = "die"  # die, dead, morir: risk only with a wish or a decision
    NOT_EXIST = "not_exist"  # passive wishes: not wake up, never been born, nobody would notice
    ABSENCE = "absence"  # the texter gone, in a condition: without me, if i was gone, si yo no estuviera
    LIFE = "life"  # living, being alive, existing, vivir: wished away with weariness or refusal
    WEARY = "weary"  # tired of, done with, don't want to, ya no quiero: before life, passive ideation
    SELF_HARM = "self_harm"  # cut myself, self harm, me corto, burned my arm
    INJURE = "injure"  # cut, burn, scratch, cortar: self-harm when the texter's body is named
    BODY = "body"  # wrist, arm, thigh, muñeca
    JUMP = "jump"  # jump, step off, tirarme: a method when a height or a vehicle is near
    # Means.
    MEDICINE = "medicine"
    POISON = "poison"
    WEAPON = "weapon"
    HEIGHT = "height"
    VEHICLE = "vehicle"
    LIGATURE = "ligature"
    # Acts, access, time, preparation.
    INGEST = "ingest"  # took, swallowed, drank, me tomé: already done
    ACT_DONE = "act_done"  # i did it, it's done, ya lo hice
    SYMPTOM = "symptom"  # what an overdose or poison feels like: throat burning, room spinning
    BLEEDING = "bleeding"  # bleeding a lot, won't stop, deep
    QUANTITY = "quantity"  # all of them, the whole bottle, a bunch, todas
    ACCESS = "access"  # in my hand, on my desk, next to me, loaded into reach
    WEAPON_STATE = "weapon_state"  # loaded, safety off, cargada
    EDGE = "edge"  # standing on the ledge, legs over the side, en la orilla
    ON_PLACE = "on_place"  # on the roof, parked on the tracks: a place, risky next to a height or vehicle
    NOW = "now"  # right now, tonight, ahora
    SOON = "soon"  # tomorrow morning, friday, in an hour
    AGO = "ago"  # an hour ago, already, hace rato
    WANT = "want"  # want, wish, thinking about, ganas, ojalá
    DECIDE = "decide"  # going to, decided, about to, voy a, decidí
    PLAN = "plan"  # my plan, saving up, looked up how: preparation, risky with means
    RESOLVE = "resolve"  # made up my mind, picked the date, ya lo decidí: a decision taken, risky with a time
    FAREWELL = "farewell"  # strong: last text, tell my mom i'm sorry, wrote the note
    GOODBYE = "goodbye"  # weak: bye, goodbye, love you all
    FINAL = "final"  # last, forever, never again, para siempre: a goodbye made final
    GIVE = "give"  # gave, left, le di, regalé: giving away when a possession follows
    POSSESSION = "possession"  # guitar, xbox, my room, my cat, la consola: what a texter gives away before an act
    GIVE_AWAY = "give_away"  # giving things and pets away, settling debts: a farewell unless the texter is moving
    MOVING = "moving"  # moving house, a trip, camping: everyday reasons to give things away or carry a rope
    SAFETY = "safety"  # means put out of reach: flushed the pills, gave the gun to my uncle, bajo llave
    AGAIN = "again"  # again, back, relapsed, otra vez
    # Danger from another person, and to another person.
    HARM_ME = "harm_me"  # hits me, kill me, me pega, touching me
    THREAT = "threat"  # threatened, said he'd, followed me, amenazó
    PRESENCE = "presence"  # outside, at the door, banging, on his way, afuera
    HIDING = "hiding"  # hiding in, locked myself in the bathroom, escondida
    HELP = "help"  # a cry for help: help me, call 911, auxilio, llamen a la policia
    GRIEVANCE = "grievance"  # what a texter may want revenge for: cheated on me, me humilla, ruined my life
    HARM_OTHER = "harm_other"  # kill him, hurt her, stab them, matarlo
    VIOLENCE = "violence"  # stab, shoot, strangle, apuñalar: harm to others when a person follows
    ME = "me"  # me, us: whom another person's violence lands on ("hurt me")
    PERSON = "person"  # him, her, my stepdad, a mi jefe: who violence would land on
    TARGET_PLACE = "target_place"  # school, the office, where harm to others is carried
    # What changes whose danger it is, or whether it is one.
    NEGATION = "negation"
    FIRST_PERSON = "first_person"  # i, yo: who speaks, when someone else is named too
    THIRD_PERSON = "third_person"  # he, she, my friend, himself, se
    FICTION = "fiction"  # movie, book, news, game, homework: talk about someone else's story
    HYPOTHETICAL = "hypothetical"  # if someone, what should i say, asking for a friend
    MEDICAL = "medical"  # headache, cramps, prescribed, doctor
    FOOD = "food"  # pizza, cookies, beer, galletas, vino: "ate a whole box", "drank a bottle of wine" are no overdose
    RECOVERY = "recovery"  # clean for, proud, recovered
    PAST = "past"  # years ago, when i was, used to
    IDIOM = "idiom"  # "this exam is killing me": the words under it count for nothing
    LAUGH = "laugh"  # lol, jaja, 😂: "i'm dead lol"
    BREAK = "break"  # but, pero: a new clause, which a negation does not reach into
    NUMBER = "number"  # digits ("40") or times ("x6"), found by the vocabulary itself, never listed
    UNIT = "unit"  # minutes, years, floors: after a number, it is not a count of pills


class Part(NamedTuple):
    """A kind found at tokens [start, end) of a message. A NamedTuple: made for every word that has a kind."""

    kind: Kind
    start: int
    end: int


KIND_OF = itemgetter(0)  # a part's kind, read in C (map(KIND_OF, parts)) rather than by a Python loop over parts

# Each kind as one bit, so the kinds of a stretch or a message are one int, OR-ed in C: the gate (escalation/model.py)
# is remembered per int, with no set of kinds built for a message.
BIT: dict[Kind, int] = {kind: 1 << index for index, kind in enumerate(Kind)}
BIT_OF = BIT.__getitem__


def mask_of(kinds: Iterable[Kind]) -> int:
    """The kinds as one int, a bit each."""
    return reduce(or_, map(BIT_OF, kinds), 0)


def parts_mask(parts: Iterable[Part]) -> int:
    """The kinds of some parts as one int (in C: no Python loop over the parts)."""
    return reduce(or_, map(BIT_OF, map(KIND_OF, parts)), 0)
