"""TwiML for each step of a call, built with the twilio library's voice builders: the words
in the caller's language and voice (or the line's first language, for volunteers), the
line's number as caller ID, and the signed URL of the next step. The caller's number is
never an input here, so it can never be in the output."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import Dial, VoiceResponse

from routing import call_flow as rules
from service.runtime import Runtime
from service.voice import callbacks, calls, conference

HOLD_QUEUE = "warmline-hold"
# Seconds a prompt waits for a key once its words are said: after the hours (and the outage
# notice), the caller is deciding; on hold, the announcement ends and plays again.
CLOSING_TIMEOUT_SECONDS = 6
HOLD_KEY_SECONDS = 1
# Seconds before a wait URL is asked again while someone is about to be connected.
COMING_PAUSE_SECONDS = 5

Step = calls.Step | callbacks.Step | conference.Step


class CallScript:
    """Renders a call's steps for one runtime (its settings, voices and texts)."""

    def __init__(self, runtime: Runtime) -> None:
        self._settings = runtime.settings
        self._voice = runtime.settings.voice
        self._texts = runtime.texts

    def render(self, step: Step) -> VoiceResponse:
        response = VoiceResponse()
        match step:
            case calls.Greeting(call_id, language):
                self._greeting(response, call_id, language)
            case calls.Ringing(call_id, language, line_number, phones, announce):
                if announce:
                    self._say(response, language, "connecting")
                dial = Dial(
                    caller_id=line_number,
                    action=self._url("dial-result", call=call_id),
                    method="POST",
                    timeout=self._voice.ring_timeout_seconds,
                )
                for offer_id, phone in phones:
                    dial.number(phone, url=self._url("whisper", offer=offer_id), method="POST")
                response.append(dial)
            case calls.OnHold(call_id, language):
                self._enqueue(
                    response, HOLD_QUEUE, self._url("wait", call=call_id), self._url("queue-result", call=call_id)
                )
            case calls.HoldNotice(call_id, language, position, can_text, coming):
                self._hold_notice(response, call_id, language, position, can_text, coming)
            case calls.LeaveHold():
                response.leave()
            case calls.CrisisLine(language, line_number):
                self._say(response, language, "crisis_connecting")
                response.dial(self._voice.crisis_number, caller_id=line_number)
            case calls.PartnerLine(language, line_number, partner_line):
                self._say(response, language, "partner_connecting")
                response.dial(partner_line, caller_id=line_number)
            case calls.Closing(call_id, language, nobody_on_shift, callback):
                gather = response.gather(
                    num_digits=1,
                    timeout=CLOSING_TIMEOUT_SECONDS,
                    action=self._url("callback", call=call_id),
                    method="POST",
                )
                self._say(gather, language, "nobody_on_shift" if nobody_on_shift else "nobody_free")
                if callback:
                    self._say(gather, language, "callback_offer")
                self._say(response, language, "goodbye")
                response.hangup()
            case calls.Goodbye(language, key):
                self._say(response, language, key)
                response.hangup()
            case calls.Whisper(offer_id, text):
                gather = response.gather(
                    num_digits=1,
                    timeout=self._voice.whisper_timeout_seconds,
                    action=self._url("whisper-answer", offer=offer_id),
                    method="POST",
                )
                self._speak(gather, self._texts.languages[0], text)
                response.hangup()
            case calls.Outage(language):
                gather = response.gather(
                    num_digits=1, timeout=CLOSING_TIMEOUT_SECONDS, action=self._url("crisis"), method="POST"
                )
                self._say(gather, language, "outage")
                response.hangup()
            case callbacks.Prompt(call_id, text, language):
                gather = response.gather(
                    num_digits=1,
                    timeout=self._voice.whisper_timeout_seconds,
                    action=self._url("callback/pressed", call=call_id),
                    method="POST",
                )
                self._speak(gather, language, text)
                response.hangup()
            case callbacks.WaitForCaller(call_id, queue, text):
                self._speak(response, self._texts.languages[0], text)
                self._enqueue(
                    response, queue, self._url("callback/wait", call=call_id), self._url("callback/done", call=call_id)
                )
            case callbacks.StillCalling():
                response.pause(length=COMING_PAUSE_SECONDS)
            case callbacks.JoinVolunteer(call_id, queue):
                dial = response.dial(action=self._url("callback/done", call=call_id), method="POST")
                dial.queue(queue)
            case callbacks.Spoken(text):
                self._speak(response, self._texts.languages[0], text)
                response.hangup()
            case conference.JoinConference(call_id, room, label, end_on_exit, caller):
                # The caller's <Dial> says what follows the conference; the volunteer's leg just ends.
                dial = Dial(action=self._url("conference-over", call=call_id), method="POST") if caller else Dial()
                dial.conference(
                    room,
                    start_conference_on_enter=True,
                    end_conference_on_exit=end_on_exit,
                    beep="false",
                    participant_label=label,
                    status_callback=self._url("conference-status", call=call_id),
                    status_callback_method="POST",
                    status_callback_event=" ".join(conference.EVENTS),
                )
                response.append(dial)
            case conference.AwaitMove(call_id):
                response.pause(length=1)
                response.redirect(self._url("conference-wait", call=call_id), method="POST")
            case calls.HangUp():
                response.hangup()
            case calls.Continue():
                pass
        return response

    def _greeting(self, response: VoiceResponse, call_id: int, language: str) -> None:
        """The welcome and the crisis line's key, in the caller's language; then each other
        language's key in that language; no key goes on to the volunteers."""
        texts = self._texts
        words = [
            word
            for code in texts.languages
            for word in (*texts.language(code).voice.crisis_words, *texts.language(code).voice.choose_words)
        ]
        gather = response.gather(
            input="dtmf speech",
            num_digits=1,
            timeout=self._voice.menu_timeout_seconds,
            language=texts.language(language).voice.say_language,
            hints=", ".join(words),
            action=self._url("menu", call=call_id),
            method="POST",
        )
        self._say(gather, language, "greeting")
        if len(texts.languages) > 1:
            for key, code in rules.language_keys(texts.languages).items():
                if code != language:
                    self._say(gather, code, "choose", digit=key)
        response.redirect(self._url("menu", call=call_id), method="POST")

    def _hold_notice(
        self, response: VoiceResponse, call_id: int, language: str, position: int, can_text: bool, coming: bool
    ) -> None:
        gather = response.gather(
            num_digits=1, timeout=HOLD_KEY_SECONDS, action=self._url("wait-choice", call=call_id), method="POST"
        )
        if coming:
            self._say(gather, language, "connecting_soon")
            gather.pause(length=COMING_PAUSE_SECONDS)
            return
        self._say(gather, language, "on_hold", position=position)
        self._say(gather, language, "on_hold_crisis")
        if can_text:
            self._say(gather, language, "on_hold_text")
        if self._voice.hold_music_url:
            gather.play(self._voice.hold_music_url)
        else:
            gather.pause(length=self._voice.hold_announce_seconds)

    @staticmethod
    def _enqueue(response: VoiceResponse, queue: str, wait_url: str, done_url: str) -> None:
        """Hold the caller in `queue`: Twilio plays `wait_url` meanwhile and posts to `done_url` once they leave it."""
        response.enqueue(queue, wait_url=wait_url, wait_url_method="POST", action=done_url, method="POST")

    def _say(self, parent: VoiceResponse, language: str, text_key: str, **params: object) -> None:
        self._speak(parent, language, self._texts.for_caller(language, text_key, **params))

    def _speak(self, parent: VoiceResponse, language: str, text: str) -> None:
        voice = self._texts.language(language).voice
        parent.say(text, voice=voice.say_voice, language=voice.say_language)

    def _url(self, step: str, **ids: int) -> str:
        query = f"?{urlencode(ids)}" if ids else ""
        return f"{self._settings.public_url}/twilio/voice/{step}{query}"
