"""What a name's own words say it is: titles, nationalities, places, events and works.

Generic English only, like `words`: there is no list of known people or companies. What is
listed: titles and ranks that stand before a person's name (President, Attorney General, Vice
Adm., Cardinal, Actor), nationalities (demonyms) with the country or region each names, words
that make a name a place (Republic, Bay, North ...), an event (Games, Open, Hurricane ...) or a
work, the adjectives that start names of things and never a person's name (Real, Golden ...),
and the common nouns that are capitalised alone without naming anything (Government, God).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.understand.facts.words import _ORG_WORDS

# A title before a name: "President Clinton", "Attorney General Wally Oppal", "Navy Vice Adm.
# Mark Fitzgerald", "Chicago Cardinal Joseph Bernardin". The title ends at the last of these.
_TITLE_HEADS = frozenset(
    "President Minister Secretary Chancellor Premier Governor Gov Senator Sen Rep Representative "
    "Congressman Congresswoman Mayor Judge Justice Attorney General Gen Lt Lieutenant Col Colonel Major "
    "Maj Capt Captain Commander Cmdr Cdr Adm Admiral Sgt Sergeant Cpl Corporal Marshal Brigadier "
    "Brigadier-General Major-General Lieutenant-General Lt-Gen Maj-Gen Commodore Inspector Insp "
    "Constable Det Detective Superintendent Supt Sheriff Chief Officer Director Chairman Chairwoman "
    "Spokesman Spokeswoman Spokesperson Ambassador Envoy Commissioner Councillor Councilman Councilwoman "
    "Cardinal Archbishop Bishop Pope Rev Reverend Rabbi Imam Sheikh Ayatollah Mullah King Queen Prince "
    "Princess Emperor Empress Sultan Emir Coach Manager Boss Striker Midfielder Defender Goalkeeper "
    "Winger Fullback Full-back Flanker Fly-half Scrum-half Skipper Quarterback Pitcher Batsman Bowler "
    "Jockey Trainer Actor Actress Singer Singer-songwriter Comedian Broadcaster Presenter Guitarist "
    "Drummer Rapper Producer Author Novelist Writer Poet Artist Designer Architect Cinematographer "
    "Photographer Professor Prof Economist Analyst Lawyer Barrister Solicitor Prosecutor Agent Farmer "
    "Chef Founder Co-founder Executive Leader MP MEP Democrat Republican Conservative Tory Spokesman "
    "Deputy Trooper Warden Priest Nun Journalist Reporter Correspondent Columnist Editor Photographer "
    "Psychologist Historian Scientist Researcher Campaigner Activist Businessman Businesswoman Billionaire "
    "Entrepreneur".split()
)
# Honorifics that are part of how a peer is named: "Lord Goldsmith" stays "Lord Goldsmith".
_PEERAGE = frozenset("Lord Lady Baroness Baron Earl Duke Duchess Viscount Countess".split())
# Titles that only a person holds, so that a surname after one is a person even alone
# ("President Lukashenko"); after a rank that a word can also start ("General Electric"), a
# lone word needs more evidence.
_PERSON_ONLY_TITLES = frozenset(
    "President Minister Secretary Chancellor Premier Governor Gov Senator Sen Rep Congressman "
    "Congresswoman Mayor Cardinal Archbishop Bishop Pope Rev Reverend Rabbi Imam Sheikh Ayatollah King "
    "Queen Prince Princess Sultan Emir Coach Ambassador Envoy Commissioner Mr Mrs Ms Dr".split()
)

_DEMONYM_TABLE = """
Afghan=Afghanistan Albanian=Albania Algerian=Algeria American=America|United_States|U.S.|US|USA
Angolan=Angola Argentine=Argentina Argentinian=Argentina Armenian=Armenia Australian=Australia
Austrian=Austria Azerbaijani=Azerbaijan Azeri=Azerbaijan Bahraini=Bahrain Bangladeshi=Bangladesh
Belarusian=Belarus Belarussian=Belarus Belgian=Belgium Bolivian=Bolivia Bosnian=Bosnia
Brazilian=Brazil British=Britain|Great_Britain|United_Kingdom|UK Briton=Britain Bulgarian=Bulgaria
Burmese=Burma|Myanmar Burundian=Burundi Cambodian=Cambodia Cameroonian=Cameroon Canadian=Canada
Chadian=Chad Chechen=Chechnya Chilean=Chile Chinese=China|Hong_Kong|Beijing Colombian=Colombia Congolese=Congo
Croatian=Croatia Croat=Croatia Cuban=Cuba Cypriot=Cyprus Czech=Czech_Republic Danish=Denmark Dane=Denmark
Dutch=Netherlands|Holland Dutchman=Netherlands Ecuadorean=Ecuador Ecuadorian=Ecuador Egyptian=Egypt
English=England Englishman=England Eritrean=Eritrea Estonian=Estonia Ethiopian=Ethiopia Fijian=Fiji
Filipino=Philippines Philippine=Philippines Finnish=Finland Finn=Finland French=France
Frenchman=France Georgian=Georgia German=Germany Ghanaian=Ghana Greek=Greece Guatemalan=Guatemala
Guinean=Guinea Haitian=Haiti Honduran=Honduras Hungarian=Hungary Icelandic=Iceland Indian=India
Indonesian=Indonesia Iranian=Iran Iraqi=Iraq Irish=Ireland Irishman=Ireland Israeli=Israel
Italian=Italy Ivorian=Ivory_Coast Jamaican=Jamaica Japanese=Japan Jordanian=Jordan Kazakh=Kazakhstan
Kenyan=Kenya Korean=Korea Kosovar=Kosovo Kuwaiti=Kuwait Kyrgyz=Kyrgyzstan Latvian=Latvia
Lebanese=Lebanon Liberian=Liberia Libyan=Libya Lithuanian=Lithuania Macedonian=Macedonia
Malaysian=Malaysia Malian=Mali Maltese=Malta Mexican=Mexico Moldovan=Moldova Mongolian=Mongolia
Moroccan=Morocco Mozambican=Mozambique Namibian=Namibia Nepalese=Nepal Nepali=Nepal
Zealander=New_Zealand Nicaraguan=Nicaragua Nigerian=Nigeria Nigerien=Niger Norwegian=Norway
Omani=Oman Pakistani=Pakistan Palestinian=Palestine|West_Bank|Gaza|Gaza_Strip Panamanian=Panama
Paraguayan=Paraguay
Peruvian=Peru Polish=Poland Pole=Poland Portuguese=Portugal Qatari=Qatar Romanian=Romania
Russian=Russia|Moscow Rwandan=Rwanda Saudi=Saudi_Arabia Scottish=Scotland Scot=Scotland Scots=Scotland
Senegalese=Senegal Serbian=Serbia Serb=Serbia Slovak=Slovakia Slovenian=Slovenia Slovene=Slovenia
Somali=Somalia African=Africa|South_Africa Spanish=Spain Spaniard=Spain Lankan=Sri_Lanka
Sudanese=Sudan Surinamese=Surinam|Suriname Swedish=Sweden Swede=Sweden Swiss=Switzerland
Syrian=Syria Taiwanese=Taiwan Tajik=Tajikistan Tanzanian=Tanzania Thai=Thailand Tibetan=Tibet
Togolese=Togo Tunisian=Tunisia Turkish=Turkey Turk=Turkey Turkmen=Turkmenistan Ugandan=Uganda
Ukrainian=Ukraine Emirati=United_Arab_Emirates Uruguayan=Uruguay Uzbek=Uzbekistan
Venezuelan=Venezuela Vietnamese=Vietnam Welsh=Wales Welshman=Wales Yemeni=Yemen
Yugoslav=Yugoslavia Zairean=Zaire Zambian=Zambia Zimbabwean=Zimbabwe Asian=Asia European=Europe
Arab=Arabia Kurdish=Kurdistan Kurd=Kurdistan Hutu=Rwanda Tutsi=Rwanda Latin=Latin_America
Caribbean=Caribbean Balkan=Balkans Scandinavian=Scandinavia Nordic=Scandinavia Soviet=Soviet_Union
Baltic=Baltics Antarctic=Antarctica Arctic=Arctic Atlantic=Atlantic Pacific=Pacific
Mediterranean=Mediterranean Persian=Persia Bavarian=Bavaria Catalan=Catalonia Basque=Basque_Country
Flemish=Flanders Sikh=Punjab Hindu=India Muslim= Jewish=Israel Jew= Christian= Catholic= Islamic=
Protestant= Anglican= Orthodox= Sunni= Shi'ite= Shia= Western= Eastern=
"""


def _table() -> tuple[frozenset[str], frozenset[str]]:
    demonyms: set[str] = set()
    places: set[str] = set()
    for entry in _DEMONYM_TABLE.split():
        word, _, where = entry.partition("=")
        demonyms.update((word, f"{word}s", f"{word[:-3]}men" if word.endswith("man") else word))
        places.update(p.replace("_", " ") for p in where.split("|") if p)
    return frozenset(demonyms), frozenset(places)


# Nationalities (and their plural nouns: "Americans", "Kurds") and the places they name. A
# nationality is never a person's first name or an organisation alone; "Christian" is a given
# name as well, so it counts only when a name starts with it and another nationality follows.
_DEMONYMS, _PLACES = _table()
_GIVEN_TOO = frozenset({"Christian", "Christians", "Latin"})

# Words that make a name a place.
_PLACE_LAST = frozenset(
    "Republic Kingdom Islands Island Isles Hills Heights Gulf Sea Ocean Channel Strait Straits "
    "Peninsula Coast Beach Springs Falls Lake River Mountain Mountains Valley Canyon Desert Park "
    "Ave Avenue Blvd Boulevard Rd Road St Street Square Bridge Province Region County District "
    "Territory Territories Prefecture State City Town Village Borough Airport Station Stadium Arena "
    "Ground Oval Grounds Circuit Racecourse Basin Delta Plain Plains Highlands Strip".split()
)
_PLACE_FIRST = frozenset(
    "North South East West Northern Southern Eastern Western Central Upper Lower Greater Mount Mt Lake "
    "Fort Port Cape Gulf Isle San Santa Los Las Sao Saint St Far Middle Near".split()
)
# Words that make a name an event or an award: "Commonwealth Games", "French Open", "Hurricane Ivan".
_EVENT_LAST = frozenset(
    "Games Olympics Olympiad Championship Championships Open Cup Prix Slam Trophy Tour Rally Marathon "
    "Classic Masters Series Final Finals Indoors Festival War Wars Revolution Crisis Uprising Massacre "
    "Summit Conference Convention Election Elections Awards Award Prize Prizes Medal Globe Globes Emmy "
    "Emmys Oscar Oscars Grammy Grammys Day Week Show Expo Fair Derby Stakes Handicap Guineas Treaty "
    "Accord Accords Agreement Plan Act Bill Doctrine Initiative Protocol Programme Program".split()
)
_EVENT_FIRST = frozenset(
    "Hurricane Tropical Storm Typhoon Cyclone Tornado Operation Battle Siege Treaty Grand World "
    "Primetime".split()
)
# Adjectives and nouns that start names of things (teams, papers, works, bodies), never a
# person's name: "Real Madrid", "Golden Globe", "Human Rights Watch", "Daily Telegraph".
_THING_FIRST = frozenset(
    "Real Black White Red Blue Green Golden Silver Happy Grand Great Big Old Holy Royal United National "
    "International Federal Global Social Democratic Human Financial Daily Electronic Digital Final "
    "Different Double Injured Eternal Crime Death Dark Cultural Security Supreme High Higher Civil Public "
    "Free Common Special Economic Foreign Military Islamic Catholic Roman Jewish Muslim Anglican "
    "Protestant Orthodox Olympic Premier Champions Winter Summer Sunday Saturday Evening Morning Radio "
    "Television News Air Crown Imperial Republican Liberal Labour Conservative Socialist Communist "
    "Independent Popular Patriotic Progressive Reform Revolutionary Unity Liberation Freedom Justice "
    "Union State Interior Defence Defense Treasury Justice Home Health Education Energy Environment "
    "Transport Finance Trade Agriculture Culture Sport Sports Consumer Industrial Western Eastern Asian "
    "European African American Arab Latin".split()
)
# The last word of a newspaper, broadcaster or agency, never of a person's name.
_MEDIA_LAST = frozenset(
    "Press Presse Times Daily Post Herald Journal Chronicle Gazette Telegraph Tribune Standard Observer "
    "Guardian Mirror Mail Express Sun Star Independent News Radio Television TV Agency Magazine Review "
    "Weekly Bulletin Courier Dispatch Inquirer Monitor Record Register Reporter Sentinel Examiner "
    "Globe Wire Network Channel Desk Ledger Weekly".split()
)
# Nouns that say the name beside them is a work: "the film Hotel Rwanda", "the novel X".
_WORK_NOUNS = (
    "film|films|movie|movies|song|songs|album|albums|single|book|books|novel|novels|play|musical|show|"
    "shows|sitcom|drama|documentary|opera|soap|comic|trilogy|sequel|prequel|franchise|series|programme|"
    "program|episode|hit|track|poem|painting|exhibition|video|blockbuster|thriller|comedy|cartoon"
)
# After a name, only nouns that are no verb too ("X show" may be "X shows that ...").
_WORK_AFTER = "film|movie|album|novel|sitcom|documentary|trilogy|sequel|prequel|musical|franchise|soundtrack"
_WORK_VERBS = (
    r"directed|direct|directs|directing|starred\s+in|stars\s+in|starring|star\s+of|director\s+of|"
    r"author\s+of|writer\s+of|producer\s+of|creator\s+of|composer\s+of|adaptation\s+of|sequel\s+to|"
    r"version\s+of|wrote|written|filmed|screened|premiere\s+of|cast\s+of|role\s+in|roles\s+in|"
    r"appeared\s+in|appearing\s+in|remake\s+of|episode\s+of|(?:play|plays|played|playing)\s+in"
)
# Common nouns capitalised alone: "the Government", "the Party", "God". Alone, they name nothing
# a reader could look up, so they are not listed (in a longer name they still say its kind).
_GENERIC_ALONE = frozenset(
    "God Lord Government Party Parliament Commission Council Committee Society Organisation "
    "Organization Ministry Department Agency Court Police Army Navy Church Analysts Refugees Democracy "
    "Intelligence Treasury Cabinet Senate Congress State Administration Opposition Union Board Bank "
    "Group University College Office Assembly Republic Embassy Presidency Crown Kingdom Federation "
    "Alliance Coalition Authority Bureau Exchange Market Company Service Services Institute Foundation "
    "School Hospital Club League Team Force Forces Guard Corps Council Cabinet Executive Legislature "
    "Heaven Hell Nature Internet Web Mother Father Fund Trust Centre Center City Town "
    "Airport Station Stadium Liberal Liberals Conservatives Democrats Republicans Socialists Communists "
    "Tories".split()
)

# Words that start a compound title: "Prime Minister", "Foreign Secretary", "Vice President".
_TITLE_WORDS = frozenset(
    "Prime Foreign Home Financial Finance Defence Defense Interior Justice Health Education Trade "
    "Deputy Vice Assistant Associate Executive Managing General Senior Junior Acting Interim Shadow "
    "Permanent Principal Press Chief Lord Lady First".split()
)

_EX = re.compile(r"^(?:Ex|Former|ex)-[A-Z]")


def is_title_head(word: str) -> bool:
    """A word that can end a title before a name ("Adm", "Adm.", "Ex-Yankee")."""
    return word.rstrip(".") in _TITLE_HEADS or _EX.match(word) is not None


def is_demonym(word: str) -> bool:
    return word in _DEMONYMS


def names_a_place(words: Sequence[str]) -> bool:
    """A nationality's place ("Russia", "Sri Lanka"), or a name a place word makes a place (an
    organisation word overrides: "Central Bank", "West Ham United")."""
    if " ".join(words) in _PLACES:
        return True
    if len(words) >= 2 and words[0] in _DEMONYMS and names_a_place(words[1:]):
        return True  # "Jewish West Bank settlements"
    if len(words) >= 2 and words[-1] in _PLACE_LAST and words[-1] not in _ORG_WORDS:
        return True  # "Silicon Valley": the last word says what it is, whatever an earlier one says
    if any(w in _ORG_WORDS for w in words):
        return False
    if len(words) >= 2 and (words[-1] in _PLACE_LAST or words[0] in _PLACE_FIRST):
        return True
    return (
        len(words) >= 2 and words[0] in _DEMONYMS and words[0] not in _GIVEN_TOO and words[-1] in _PLACE_LAST
    )


def names_an_event(words: Sequence[str]) -> bool:
    if any(w in _ORG_WORDS for w in words):
        return False
    return len(words) >= 2 and (words[-1] in _EVENT_LAST or words[0] in _EVENT_FIRST)


def not_a_personal_name(words: Sequence[str]) -> bool:
    """Words that no person's name has: a nationality first ("Indian Ocean"), a thing's adjective
    first ("Real Madrid"), a place, event or media word, a plural last word ("Philadelphia Eagles")."""
    first, last = words[0], words[-1]
    if (first in _DEMONYMS and first not in _GIVEN_TOO) or first in _THING_FIRST or last in _MEDIA_LAST:
        return True
    return names_a_place(words) or names_an_event(words)


def generic_alone(words: Sequence[str]) -> bool:
    """A capitalised common noun standing alone ("Government"), or only nationalities ("Latin
    American", "Iraqi Kurdish"): not a name to list."""
    if len(words) == 1 and words[0] in _GENERIC_ALONE:
        return True
    if len(words) >= 2 and all(w in _TITLE_HEADS or w in _TITLE_WORDS for w in words):
        return True  # "the Prime Minister had offered", "the Foreign Secretary": a title, no name
    return all(w in _DEMONYMS for w in words)
