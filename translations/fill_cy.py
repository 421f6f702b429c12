"""Welsh interface wording. Run after `pybabel update` to fill new strings, then `pybabel compile`.

Families' strings are in WELSH below; staff pages' strings in ``cy_staff/<area>.yaml``.

Kept as data so a translator can review every string in one place; strings already translated in
the catalogue are never overwritten.
"""
from pathlib import Path

from babel.messages.pofile import read_po, write_po

WELSH = {
    "Hello. We would like to hear how things are for you. It takes about %(minutes)s minutes: %(link)s Reply STOP to stop these messages.":
        "Helo. Hoffem glywed sut mae pethau i chi. Mae'n cymryd tua %(minutes)s munud: %(link)s Atebwch STOP i atal y negeseuon hyn.",
    "A reminder: your answers would help. You can still answer here: %(link)s Reply STOP to stop these messages.":
        "Nodyn atgoffa: byddai eich atebion o help. Gallwch ateb yma o hyd: %(link)s Atebwch STOP i atal y negeseuon hyn.",
    # SMS conversations and replies (kept to GSM-7 letters where Welsh allows: each text is billed).
    "Thank you. We will text you in this language from now on.":
        "Diolch. Byddwn yn anfon negeseuon testun atoch yn yr iaith hon o hyn ymlaen.",
    "Reply with the number of your answer.": "Atebwch gyda rhif eich ateb.",
    "Reply YES or NO, or the number of your answer.": "Atebwch IE neu NA, neu rif eich ateb.",
    "Reply with a number from %(min)s to %(max)s.": "Atebwch gyda rhif o %(min)s i %(max)s.",
    "Reply with a few words.": "Atebwch mewn ychydig eiriau.",
    "Or reply: %(labels)s": "Neu atebwch: %(labels)s",
    "Or reply %(skip)s.": "Neu atebwch %(skip)s.",
    "SKIP": "HEPGOR",
    "Sorry, your reply was empty.": "Mae'n ddrwg gennym, roedd eich ateb yn wag.",
    "Sorry, that is not one of the answers.": "Mae'n ddrwg gennym, nid yw hynny'n un o'r atebion.",
    "Sorry, that could be more than one answer.": "Mae'n ddrwg gennym, gallai hynny fod yn fwy nag un ateb.",
    "Sorry, that is not a number.": "Mae'n ddrwg gennym, nid yw hynny'n rhif.",
    "Sorry, that is not a whole number.": "Mae'n ddrwg gennym, nid yw hynny'n rhif cyfan.",
    "Sorry, %(number)s is not from %(min)s to %(max)s.": "Mae'n ddrwg gennym, nid yw %(number)s rhwng %(min)s a %(max)s.",
    "Sorry, we could not find any words in your reply.": "Mae'n ddrwg gennym, ni welsom unrhyw eiriau yn eich ateb.",
    "This question needs an answer.": "Mae angen ateb i'r cwestiwn hwn.",
    "We have left that question unanswered.": "Rydym wedi gadael y cwestiwn hwnnw heb ateb.",
    "Thank you. That was the last question, and your answers are saved.":
        "Diolch. Dyna'r cwestiwn olaf, ac mae eich atebion wedi'u cadw.",
    "Hello. We would like to hear how things are for you. Answer by replying to these texts; reply STOP to stop.":
        "Helo. Hoffem glywed sut mae pethau i chi. Atebwch drwy ymateb i'r negeseuon hyn; atebwch STOP i atal.",
    "A reminder: your answers would help. Reply STOP to stop.":
        "Nodyn atgoffa: byddai eich atebion o help. Atebwch STOP i atal.",
    "You will get no more texts from us. Reply START if you change your mind.":
        "Ni chewch ragor o negeseuon gennym. Atebwch START os byddwch yn newid eich meddwl.",
    "Texts from us are switched back on. Reply STOP at any time to stop them.":
        "Mae negeseuon gennym wedi'u troi ymlaen eto. Atebwch STOP unrhyw bryd i'w hatal.",
    "These texts ask how things are for you; answering is up to you. Reply STOP to stop them.":
        "Mae'r negeseuon hyn yn gofyn sut mae pethau i chi; chi sy'n dewis a ydych am ateb. Atebwch STOP i'w hatal.",
    "To talk to someone: %(contact)s": "I siarad gyda rhywun: %(contact)s",
    "Thank you for your message. There is nothing to answer at the moment.":
        "Diolch am eich neges. Nid oes dim i'w ateb ar hyn o bryd.",
    "Thank you: these questions have already been answered.": "Diolch: mae'r cwestiynau hyn wedi'u hateb yn barod.",
    "Page not found": "Heb ddod o hyd i'r dudalen",
    "If you typed the web address, check it is correct. If you followed a link from a text message, check you copied all of it.":
        "Os gwnaethoch chi deipio'r cyfeiriad gwe, gwiriwch ei fod yn gywir. Os daethoch chi o ddolen mewn neges destun, gwiriwch eich bod wedi copïo'r cyfan.",
    "Something went wrong with that request": "Aeth rhywbeth o'i le gyda'r cais hwnnw",
    "Nothing was saved. Go back and try again.": "Ni chafodd dim ei gadw. Ewch yn ôl a rhowch gynnig arall arni.",
    "This page had expired": "Roedd y dudalen hon wedi dod i ben",
    "For your security, nothing was saved. Go back, reload the page and try again.":
        "Er eich diogelwch, ni chafodd dim ei gadw. Ewch yn ôl, ail-lwythwch y dudalen a rhowch gynnig arall arni.",
    "Email address": "Cyfeiriad e-bost",
    "Enter your email address.": "Rhowch eich cyfeiriad e-bost.",
    "Password": "Cyfrinair",
    "Enter your password.": "Rhowch eich cyfrinair.",
    "The email address or password is not right.": "Nid yw'r cyfeiriad e-bost neu'r cyfrinair yn gywir.",
    "Staff": "Staff",
    "Sign out": "Allgofnodi",
    "Open surveys": "Arolygon agored",
    "Signed in as %(name)s.": "Wedi mewngofnodi fel %(name)s.",
    "Respondent": "Ymatebydd",
    "Instrument": "Holiadur",
    "Action": "Gweithred",
    "Interview by telephone": "Cyfweld dros y ffôn",
    "No open surveys.": "Dim arolygon agored.",
    "Sign in": "Mewngofnodi",
    "The date must include a day.": "Rhaid i'r dyddiad gynnwys diwrnod.",
    "The date must include a month.": "Rhaid i'r dyddiad gynnwys mis.",
    "The date must include a year.": "Rhaid i'r dyddiad gynnwys blwyddyn.",
    "Choose one of the answers shown.": "Dewiswch un o'r atebion a ddangosir.",
    "Choose from the answers shown.": "Dewiswch o'r atebion a ddangosir.",
    "Select an answer.": "Dewiswch ateb.",
    "Select at least one answer.": "Dewiswch o leiaf un ateb.",
    "Enter a number.": "Rhowch rif.",
    "Enter a date.": "Rhowch ddyddiad.",
    "Enter your answer.": "Rhowch eich ateb.",
    "Either give an answer or choose “%(label)s”, not both.": "Rhowch ateb neu dewiswch “%(label)s”, nid y ddau.",
    # Welsh keeps a noun singular after a numeral ("5 nod"), so a plural entry has one wording.
    "Your answer must be %(num)s character or fewer.": "Rhaid i'ch ateb fod yn %(num)s nod neu lai.",
    "It is now %(num)s character.": "Mae'n %(num)s nod ar hyn o bryd.",
    "Enter a whole number, like 3.": "Rhowch rif cyfan, fel 3.",
    "Enter a number, like 3 or 2.5.": "Rhowch rif, fel 3 neu 2.5.",
    "Enter a number from %(min)s to %(max)s.": "Rhowch rif o %(min)s i %(max)s.",
    "Enter a real date, for example 27 3 2024.": "Rhowch ddyddiad go iawn, er enghraifft 27 3 2024.",
    "Enter the year as four digits, for example 2024.": "Rhowch y flwyddyn fel pedwar digid, er enghraifft 2024.",
    "The date must be today or in the past.": "Rhaid i'r dyddiad fod heddiw neu yn y gorffennol.",
    "The date must be on or after %(date)s.": "Rhaid i'r dyddiad fod ar %(date)s neu ar ôl hynny.",
    "There is a problem": "Mae problem",
    "Error:": "Gwall:",
    "or": "neu",
    "optional": "dewisol",
    "Day": "Diwrnod",
    "Month": "Mis",
    "Year": "Blwyddyn",
    "You have already answered": "Rydych chi eisoes wedi ateb",
    "This link has expired": "Mae'r ddolen hon wedi dod i ben",
    "Thank you – your answers were sent. For your privacy, they cannot be seen or changed from this link.":
        "Diolch – cafodd eich atebion eu hanfon. Er mwyn eich preifatrwydd, does dim modd eu gweld na'u newid o'r ddolen hon.",
    "Thank you for wanting to take part. The time for answering this survey has ended, so this link no longer works.":
        "Diolch am fod eisiau cymryd rhan. Mae'r amser i ateb yr arolwg hwn wedi dod i ben, felly nid yw'r ddolen hon yn gweithio mwyach.",
    "If you would still like to share your views, please speak to your key worker.":
        "Os hoffech chi rannu eich barn o hyd, siaradwch â'ch gweithiwr allweddol.",
    "Thank you": "Diolch",
    "Your answers have been sent.": "Mae eich atebion wedi'u hanfon.",
    "Your views help us improve support for families. You do not need to do anything else, and you can close this page.":
        "Mae eich barn yn ein helpu i wella'r cymorth i deuluoedd. Does dim angen i chi wneud dim byd arall, a gallwch gau'r dudalen hon.",
    "Telephone interview": "Cyfweliad ffôn",
    "Interview saved": "Cyfweliad wedi'i gadw",
    "Thank the person for their time. Their answers are stored as a telephone interview.":
        "Diolchwch i'r person am ei amser. Mae ei atebion wedi'u cadw fel cyfweliad ffôn.",
    "Back to your list": "Yn ôl i'ch rhestr",
    "Read each question and its answers aloud. Enter what the person says.":
        "Darllenwch bob cwestiwn a'i atebion yn uchel. Rhowch yr hyn mae'r person yn ei ddweud.",
    "Respondent:": "Ymatebydd:",
    "Back": "Yn ôl",
    "This response is already completed.": "Mae'r ymateb hwn eisoes wedi'i gwblhau.",
    "This link has expired.": "Mae'r ddolen hon wedi dod i ben.",
    "Read this aloud:": "Darllenwch hwn yn uchel:",
    "%(organisation)s would like your views.": "Hoffai %(organisation)s gael eich barn.",
    "It takes about %(num)s minute. Your answers are confidential and taking part is up to you.":
        "Mae'n cymryd tua %(num)s munud. Mae eich atebion yn gyfrinachol a chi sy'n dewis a ydych am gymryd rhan.",
    "Start the interview": "Dechrau'r cyfweliad",
    "Page %(number)s of %(total)s": "Tudalen %(number)s o %(total)s",
    "Send my answers": "Anfon fy atebion",
    "Save and continue": "Cadw a pharhau",
    "Your answers could not be saved": "Nid oedd modd cadw eich atebion",
    "The page sent answers to questions that are not on it, so nothing was saved. This can happen if the survey was open in an old tab.":
        "Anfonodd y dudalen atebion i gwestiynau nad ydynt arni, felly ni chafodd dim ei gadw. Gall hyn ddigwydd os oedd yr arolwg ar agor mewn hen dab.",
    "Go back to the page and try again": "Ewch yn ôl i'r dudalen a rhowch gynnig arall arni",
    "%(organisation)s is asking for your views.": "Mae %(organisation)s yn gofyn am eich barn.",
    "It takes about %(num)s minute.": "Mae'n cymryd tua %(num)s munud.",
    "Your answers are confidential. They are used to improve the help families get, and reports never name you.":
        "Mae eich atebion yn gyfrinachol. Maen nhw'n cael eu defnyddio i wella'r help mae teuluoedd yn ei gael, a fydd adroddiadau byth yn eich enwi.",
    "Taking part is up to you. You can skip questions marked optional, and it will not change the help you get.":
        "Chi sy'n dewis a ydych am gymryd rhan. Gallwch hepgor cwestiynau sydd wedi'u marcio'n ddewisol, ac ni fydd hynny'n newid yr help rydych chi'n ei gael.",
    "Your answers are saved after each page. You can stop and come back to this link later, on any phone or computer.":
        "Mae eich atebion yn cael eu cadw ar ôl pob tudalen. Gallwch stopio a dod yn ôl at y ddolen hon yn nes ymlaen, ar unrhyw ffôn neu gyfrifiadur.",
    "Carry on where you left off": "Parhau o'r man lle gwnaethoch chi adael",
    "Start": "Dechrau",
    "Feedback": "Adborth",
    "Skip to main content": "Neidio i'r prif gynnwys",
    "If you were sent a link to a survey, please open the link from your message.":
        "Os cawsoch chi ddolen i arolwg, agorwch y ddolen o'ch neges.",
    "Staff sign in": "Mewngofnodi staff",
    "Too many attempts": "Gormod o ymdrechion",
    "Please wait a few minutes before trying again.": "Arhoswch ychydig funudau cyn rhoi cynnig arall arni.",
    "You were signed out because you had not used the service for a while. Please sign in again.":
        "Cawsoch eich allgofnodi am nad oeddech wedi defnyddio'r gwasanaeth ers tro. Mewngofnodwch eto.",
}


def staff_tables() -> dict:
    """The Welsh of the staff pages, kept per area in ``cy_staff/<area>.yaml`` (English → Welsh;
    a plural's value is its list of forms)."""
    import yaml

    table: dict = {}
    for path in sorted((Path(__file__).parent / "cy_staff").glob("*.yaml")):
        table.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return table


def fill(po_path: Path, table: dict = WELSH, overwrite: bool = False) -> list[str]:
    """Fill untranslated entries from ``table`` (every entry it has, with ``overwrite``: the
    staff tables are the Welsh's source); return the ids still untranslated."""
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale="cy")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        translated = message.string if isinstance(message.string, str) else all(message.string)
        if translated and "fuzzy" not in message.flags and not (overwrite and key in table):
            continue
        if key not in table:
            missing.append(key)
            continue
        message.flags.discard("fuzzy")
        value = table[key]
        if isinstance(message.id, tuple):
            forms = list(value) if isinstance(value, (list, tuple)) else [value]
            forms += [forms[-1]] * (catalog.num_plurals - len(forms))
            message.string = tuple(forms[:catalog.num_plurals])
        else:
            message.string = value[0] if isinstance(value, (list, tuple)) else value
    with po_path.open("wb") as handle:
        write_po(handle, catalog, width=100)
    return missing


if __name__ == "__main__":
    here = Path(__file__).parent / "cy" / "LC_MESSAGES"
    for name, table in (("messages.po", WELSH), ("staff.po", {**WELSH, **staff_tables()})):
        left = fill(here / name, table, overwrite=name == "staff.po")
        print(f"{name} untranslated:", *left, sep="\n  ") if left else print(f"{name}: every string has Welsh")
