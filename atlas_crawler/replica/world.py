"""The replica's world: countries, regions, collectivities and projects, drawn
deterministically from a seed. Values are generated typed; ``truth`` gives the
records a perfect crawler must write (independent of the parser)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any

ZONES: dict[str, list[tuple[str, str]]] = {
    "Afrique": [
        ("ML", "Mali"),
        ("SN", "Sénégal"),
        ("BF", "Burkina Faso"),
        ("NE", "Niger"),
        ("MA", "Maroc"),
        ("TN", "Tunisie"),
        ("BJ", "Bénin"),
        ("CM", "Cameroun"),
        ("MG", "Madagascar"),
        ("CI", "Côte d'Ivoire"),
        ("MR", "Mauritanie"),
        ("TG", "Togo"),
    ],
    "Amériques": [
        ("HT", "Haïti"),
        ("BR", "Brésil"),
        ("CA", "Canada"),
        ("CL", "Chili"),
        ("NI", "Nicaragua"),
        ("US", "États-Unis"),
    ],
    "Asie et Océanie": [
        ("VN", "Viêt Nam"),
        ("CN", "Chine"),
        ("JP", "Japon"),
        ("IN", "Inde"),
        ("KH", "Cambodge"),
        ("LA", "Laos"),
    ],
    "Europe": [
        ("DE", "Allemagne"),
        ("PL", "Pologne"),
        ("RO", "Roumanie"),
        ("IT", "Italie"),
        ("ES", "Espagne"),
        ("GB", "Royaume-Uni"),
        ("AM", "Arménie"),
        ("UA", "Ukraine"),
    ],
    "Moyen-Orient": [("LB", "Liban"), ("PS", "Territoires palestiniens"), ("IL", "Israël"), ("JO", "Jordanie")],
}
REGIONS: list[tuple[str, str, list[str]]] = [
    ("11", "Île-de-France", ["Essonne", "Paris", "Yvelines", "Val-de-Marne"]),
    ("24", "Centre-Val de Loire", ["Loiret", "Cher"]),
    ("27", "Bourgogne-Franche-Comté", ["Côte-d'Or", "Doubs"]),
    ("28", "Normandie", ["Calvados", "Manche"]),
    ("32", "Hauts-de-France", ["Nord", "Pas-de-Calais", "Somme"]),
    ("44", "Grand Est", ["Bas-Rhin", "Moselle"]),
    ("52", "Pays de la Loire", ["Loire-Atlantique", "Sarthe"]),
    ("53", "Bretagne", ["Finistère", "Ille-et-Vilaine"]),
    ("75", "Nouvelle-Aquitaine", ["Gironde", "Charente"]),
    ("76", "Occitanie", ["Haute-Garonne", "Hérault"]),
    ("84", "Auvergne-Rhône-Alpes", ["Rhône", "Isère", "Savoie"]),
    ("93", "Provence-Alpes-Côte d'Azur", ["Bouches-du-Rhône", "Var"]),
    ("94", "Corse", ["Corse-du-Sud"]),
]
FR_TYPES = [
    "Commune",
    "Département",
    "Région",
    "Communauté d'agglomération",
    "Communauté de communes",
    "Syndicat mixte",
    "S.A.N.",
]
FOREIGN_TYPES = ["Commune", "Commune urbaine", "Région", "Province", "District", "Municipalité"]
THEMES = [
    (
        "Politique, humanitaire et coopération transfrontalière",
        "Gouvernance locale et appui institutionnel",
        "Gouvernance et démocratie locales",
    ),
    ("Développement économique", "Agriculture et sécurité alimentaire", "Filières agricoles"),
    ("Eau et assainissement", "Accès à l'eau potable", "Adduction d'eau"),
    ("Culture et patrimoine", "Échanges culturels", "Festivals « jeunesse »"),
    ("Éducation et formation", "Formation professionnelle", "Œuvres scolaires"),
    ("Santé et action sociale", "Santé publique", "Centres de santé"),
    ("Environnement, climat et énergie", "Énergies renouvelables", "Solaire"),
]
PRIORITIES = ["Haute", "Moyenne", "Basse"]
WORDS = [
    "appui",
    "renforcement",
    "commune",
    "coopération",
    "développement",
    "local",
    "territoire",
    "formation",
    "agents",
    "services",
    "municipaux",
    "échange",
    "jeunesse",
    "eau",
    "assainissement",
    "santé",
    "école",
    "culture",
    "patrimoine",
    "gouvernance",
    "citoyenneté",
    "femmes",
    "agriculture",
    "marché",
    "maîtrise",
    "d’ouvrage",
    "œuvre",
    "durable",
    "solidarité",
    "partenariat",
    "élus",
    "habitants",
    "quartier",
    "réseau",
    "programme",
    "action",
]
FIRST_NAMES = [
    "Marie",
    "Jean",
    "Aminata",
    "Moussa",
    "Françoise",
    "Guénolé",
    "Chloé",
    "Léa",
    "Ibrahima",
    "Zoë",
    "Noël",
    "Anaïs",
    "Jérôme",
    "Fatoumata",
]
LAST_NAMES = [
    "DIALLO",
    "MARTIN",
    "KONE",
    "TRAORÉ",
    "DUPONT",
    "N'DIAYE",
    "LEFÈVRE",
    "BENALLA",
    "OUDRY",
    "NGUYEN",
    "O'BRIEN",
    "D'ALMEIDA",
]
FUNDERS = [
    "Ministère de l'Europe et des Affaires étrangères",
    "Agence de l'eau Seine-Normandie",
    "Union européenne",
    "Autre",
    "Fondation Œuvre d’Orient",
]
SEED_PROJECT = 2431
SEED_FRENCH = 912
SEED_FOREIGN = 31752
SOFT_ERROR_EVERY = 97  # with faults on, one project in this many is a permanent soft error


@dataclass
class Country:
    code: str
    name: str
    zone: str


@dataclass
class Region:
    code: str
    name: str
    departments: list[str]


@dataclass
class Collectivity:
    id: int
    kind: str  # french | foreign
    name: str
    type: str | None
    country: Country | None = None
    region: Region | None = None
    department: str | None = None
    website: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    projects: list[int] = field(default_factory=list)


@dataclass
class Project:
    id: int
    data: dict[str, Any]
    foreign: list[Collectivity]
    french: list[Collectivity]
    seed: bool = False

    @property
    def countries(self) -> list[Country]:
        seen: dict[str, Country] = {}
        for c in self.foreign:
            assert c.country is not None
            seen.setdefault(c.country.code, c.country)
        return list(seen.values())


class World:
    """Everything the replica serves, from ``seed`` and ``projects``."""

    def __init__(self, projects: int = 300, seed: int = 1, faults: bool = False, edition: int = 1) -> None:
        self.seed = seed
        self.size = projects
        self.faults = faults
        rng = random.Random(seed)
        self.countries = [Country(code, name, zone) for zone, items in ZONES.items() for code, name in items]
        self.regions = [Region(code, name, deps) for code, name, deps in REGIONS]
        self.french: dict[int, Collectivity] = {}
        self.foreign: dict[int, Collectivity] = {}
        self.projects: dict[int, Project] = {}
        self._build(rng, projects)
        self.edition = 1
        for _ in range(2, edition + 1):
            self.next_edition()

    def next_edition(self) -> None:
        """Advance to the next edition in place, as ``World(..., edition=self.edition + 1)``
        would build it, without replaying every edition before it (the history's
        benchmark advances one week per run over hundreds of runs)."""
        self.edition += 1
        self._next_edition(random.Random(f"{self.seed}-edition-{self.edition}"), self.edition)
        # the lookups ``truth`` caches describe the previous edition's projects
        for cached in ("projects_by_country", "french_by_region", "soft_error_projects"):
            self.__dict__.pop(cached, None)

    # --- generation -----------------------------------------------------
    def _build(self, rng: random.Random, n: int) -> None:
        mali = self.country("ML")
        idf = self.regions[0]
        evry = Collectivity(
            SEED_FRENCH,
            "french",
            "Communauté d'agglomération d'Evry Centre Essonne",
            "Communauté d'agglomération",
            region=idf,
            department="Essonne",
            website="www.agglo-evry.fr",
        )
        kayes = Collectivity(SEED_FOREIGN, "foreign", "Commune Urbaine de Kayes", "Commune urbaine", country=mali)
        self.french[evry.id] = evry
        self.foreign[kayes.id] = kayes
        n_french = max(4, n * 3 // 10)
        fr_ids = rng.sample(range(100, 100 + n_french * 4), n_french)
        for cid in fr_ids:
            if cid in self.french:
                continue
            region = rng.choice(self.regions)
            ctype = rng.choice(FR_TYPES)
            town = self._place(rng)
            extra = {"Population": f"{rng.randint(800, 250000):,}".replace(",", " ")} if rng.random() < 0.2 else {}
            self.french[cid] = Collectivity(
                cid,
                "french",
                f"{ctype} de {town}",
                ctype,
                region=region,
                department=rng.choice(region.departments),
                website=(f"www.{town.lower().replace(' ', '-')}.fr" if rng.random() < 0.7 else None),
                extra=extra,
            )
        project_ids = [i for i in rng.sample(range(1000, 1000 + n * 4), n) if i != SEED_PROJECT][: n - 1]
        next_foreign = iter(rng.sample(range(20000, 20000 + n * 6), n * 2))
        french_pool = list(self.french.values())
        for pid in project_ids:
            foreign = []
            for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
                if self.foreign and rng.random() < 0.45:
                    c = rng.choice(list(self.foreign.values()))
                else:
                    fid = next(next_foreign)
                    while fid == SEED_FOREIGN:
                        fid = next(next_foreign)
                    c = Collectivity(
                        fid,
                        "foreign",
                        f"{rng.choice(FOREIGN_TYPES)} de {self._place(rng)}",
                        rng.choice([*FOREIGN_TYPES, None]),
                        country=self._country(rng),
                    )
                    self.foreign[fid] = c
                if c not in foreign:
                    foreign.append(c)
            french = []
            for c in rng.sample(french_pool, min(len(french_pool), rng.choice([1, 1, 2, 3]))):
                french.append(c)
            self.projects[pid] = Project(pid, self._project_data(rng, foreign, french), foreign, french)
        self.projects[SEED_PROJECT] = Project(SEED_PROJECT, {}, [kayes], [evry], seed=True)
        for p in self.projects.values():
            for c in p.foreign + p.french:
                c.projects.append(p.id)
        for c in list(self.french.values()) + list(self.foreign.values()):
            c.projects.sort()

    def _next_edition(self, rng: random.Random, number: int) -> None:
        """The atlas a week later (``--edition N`` applies editions 2..N in turn): a few
        projects removed, a few added, a few edited, a few collectivity websites changed.
        Foreign collectivities left without a project disappear with their last one."""
        k = max(1, len(self.projects) // 20)
        ordinary = sorted(i for i in self.projects if i != SEED_PROJECT)
        for pid in rng.sample(ordinary, k):
            removed = self.projects.pop(pid)
            for c in removed.foreign + removed.french:
                c.projects.remove(pid)
        self.foreign = {i: c for i, c in self.foreign.items() if c.projects or i == SEED_FOREIGN}
        free = iter(i for i in range(max(self.projects) + 1, max(self.projects) + 10 * k) if i not in self.projects)
        french_pool = sorted((c for c in self.french.values() if c.id != SEED_FRENCH), key=lambda c: c.id)
        foreign_pool = sorted((c for c in self.foreign.values() if c.id != SEED_FOREIGN), key=lambda c: c.id)
        for _ in range(k):
            pid = next(free)
            foreign, french = rng.sample(foreign_pool, 1), rng.sample(french_pool, 1)
            self.projects[pid] = Project(pid, self._project_data(rng, foreign, french), foreign, french)
            for c in foreign + french:
                c.projects = sorted([*c.projects, pid])
        for pid in rng.sample(sorted(i for i in self.projects if i != SEED_PROJECT), k):
            data = self.projects[pid].data
            data["title"] = f"{data['title']} (édition {number})"
            data["partnership_form"] = "Jumelage" if data["partnership_form"] != "Jumelage" else None
        for c in rng.sample(french_pool, min(2, len(french_pool))):
            c.website = f"www.collectivite-{c.id}-{number}.fr"

    def _country(self, rng: random.Random) -> Country:
        """Mali-heavy, as the real atlas is: long lists get windowed pagination."""
        weights = [40 if c.code == "ML" else 8 if c.code in ("SN", "BF") else 1 for c in self.countries]
        return rng.choices(self.countries, weights)[0]

    def _place(self, rng: random.Random) -> str:
        a = rng.choice(["Saint-", "Le ", "La ", "", "", "Ville-"])
        return (
            a
            + rng.choice(
                [
                    "Kayes",
                    "Ségou",
                    "Rennes",
                    "Évry",
                    "Bouaké",
                    "Hué",
                    "Brest",
                    "Cœuvres",
                    "Thiès",
                    "Mopti",
                    "Lyon",
                    "Fès",
                    "Jacmel",
                    "Pessac",
                ]
            )
            + rng.choice(["", " Nord", " Sud", "-sur-Mer", " II"])
        )

    def _sentence(self, rng: random.Random, words: int) -> str:
        text = " ".join(rng.choice(WORDS) for _ in range(words))
        return text[0].upper() + text[1:] + rng.choice([".", " ;", " : « projet »", ".", " (S.A.N.)."])

    def _long_text(self, rng: random.Random) -> str | None:
        if rng.random() < 0.08:
            return None
        lines: list[str] = []
        for n in range(rng.randint(1, 4)):
            if n:
                lines.append("")
            for _ in range(rng.randint(1, 3)):
                lead = rng.choice(["", "", "• ", "- ", "1/ "])
                lines.append(lead + self._sentence(rng, rng.randint(4, 18)))
        if rng.random() < 0.2:
            lines.append("Contact : www.evry.fr ou info.projet@ville-exemple.fr")
        return "\n".join(lines)

    def _person(self, rng: random.Random) -> tuple[str, str]:
        return rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)

    def _email(self, rng: random.Random, first: str, last: str) -> str:
        user = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        user = user.translate(str.maketrans("éèêëïîôöüçàâ", "eeeeiioouuca"))
        return f"{user}@{rng.choice(['mairie-exemple.fr', 'diplomatie.gouv.fr', 'yahoo.fr'])}"

    def _project_data(
        self, rng: random.Random, foreign: list[Collectivity], french: list[Collectivity]
    ) -> dict[str, Any]:
        theme = rng.choice(THEMES)
        status = rng.choice(["En cours", "Terminé", "En cours", None])
        start = rng.randint(1985, 2022)
        end = None
        if status == "Terminé":
            end = f"{rng.randint(start, 2024):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        other_themes = [
            {
                "theme": t[0],
                "sub_theme": t[1] if rng.random() < 0.9 else None,
                "sub_sub_theme": t[2] if rng.random() < 0.6 else None,
                "priority": rng.choice([*PRIORITIES, None]),
            }
            for t in (rng.choice(THEMES) for _ in range(rng.choice([0, 0, 1, 3, 5, 6, 11, 14])))
        ]
        funding = []
        for _ in range(rng.choice([0, 1, 2, 3, 5])):
            amount = rng.choice([0, rng.randint(500, 900000), round(rng.uniform(100, 50000), 2), None])
            funding.append(
                {
                    "funder": rng.choice(FUNDERS + [c.name for c in french + foreign]),
                    "amount_eur": amount,
                    "one_percent_amounts_eur": [rng.choice([0, None, None, rng.randint(100, 9000)]) for _ in range(3)],
                    "year": rng.choice([start, start + 1, None]),
                }
            )
        contacts = []
        for c in foreign:
            if rng.random() < 0.6:
                last, first = self._person(rng)
                contacts.append(
                    {
                        "collectivity": c.name,
                        "last_name": last,
                        "first_name": first,
                        "function": rng.choice(["Maire", "Secrétaire général", None]),
                        "email": self._email(rng, first, last) if rng.random() < 0.8 else None,
                    }
                )
        volunteers = []
        for _ in range(rng.choice([0, 0, 1, 2])):
            last, first = self._person(rng)
            volunteers.append(
                {
                    "last_name": last,
                    "first_name": first,
                    "mission": self._sentence(rng, 5),
                    "field": rng.choice(["Développement local et territorial", "Santé", None]),
                    "assignment": rng.choice([foreign[0].name, "Kayes", None]),
                }
            )
        embassy = None
        if rng.random() < 0.75:
            country = foreign[0].country
            assert country is not None
            people = []
            for _ in range(rng.choice([1, 2, 2, 3])):
                last, first = self._person(rng)
                people.append(
                    {
                        "role": rng.choice(
                            [
                                "Correspondant coopération décentralisée",
                                "Conseiller de coopération et d'action culturelle",
                                "Attaché de coopération",
                            ]
                        ),
                        "name": f"{first} {last}",
                        "email": self._email(rng, first, last),
                    }
                )
            if len(people) > 1 and rng.random() < 0.3:  # the same person under two roles
                people[1] = dict(people[0], role="Conseiller de coopération et d'action culturelle")
            embassy = {"name": f"Ambassade de France en {country.name}", "contacts": people}
        managers = [
            rng.choice([c.name for c in foreign + french]) + rng.choice(["", " - Mali", ", service international"])
            for _ in range(rng.choice([0, 1, 1, 2]))
        ]
        return {
            "title": self._sentence(rng, rng.randint(3, 10)).rstrip(" .;"),
            "first_agreement_year": rng.choice([start, start - 2, None]),
            "theme": theme[0],
            "sub_theme": theme[1] if rng.random() < 0.95 else None,
            "sub_sub_theme": theme[2] if rng.random() < 0.7 else None,
            "other_themes": other_themes,
            "start_year": start if rng.random() < 0.95 else None,
            "status": status,
            "end_date": end,
            "context": self._long_text(rng),
            "history": self._long_text(rng),
            "objective": self._long_text(rng),
            "description": self._long_text(rng),
            "partnership_form": rng.choice(["Projet de coopération décentralisée", "Jumelage", None]),
            "project_managers": managers,
            "contracting_authorities": [c.name for c in french[: rng.choice([1, 2])]],
            "beneficiaries": self._sentence(rng, 8) if rng.random() < 0.8 else None,
            "foreign_partner_contacts": contacts,
            "other_partners": [self._sentence(rng, 3).rstrip(" .;") for _ in range(rng.choice([0, 1, 2]))],
            "triennial": rng.choice([True, False, None]),
            "funding": funding,
            "communication_in_france": rng.choice([True, False, None]),
            "communication_in_partner_countries": rng.choice([True, False, None]),
            "evaluation_policy": rng.choice([True, False, None]),
            "volunteers": volunteers,
            "embassy": embassy,
            "extra": {"Référence interne": f"CNCD-{rng.randint(1000, 9999)}"} if rng.random() < 0.1 else {},
            "variant": rng.choice(["div", "div", "table", "dl", "mixed"]),
            "encoding": rng.choice(["utf-8"] * 7 + ["cp1252-header", "cp1252-meta", "cp1252-latin1"]),
        }

    # --- queries --------------------------------------------------------
    def country(self, code: str) -> Country:
        return next(c for c in self.countries if c.code == code)

    def region(self, code: str) -> Region | None:
        return next((r for r in self.regions if r.code == code), None)

    @cached_property
    def projects_by_country(self) -> dict[str, list[Project]]:
        out: dict[str, list[Project]] = {c.code: [] for c in self.countries}
        for p in sorted(self.projects.values(), key=lambda p: p.id):
            for c in p.countries:
                out[c.code].append(p)
        return out

    @cached_property
    def french_by_region(self) -> dict[str, list[Collectivity]]:
        out: dict[str, list[Collectivity]] = {r.code: [] for r in self.regions}
        for c in sorted(self.french.values(), key=lambda c: c.id):
            assert c.region is not None
            out[c.region.code].append(c)
        return out

    @cached_property
    def soft_error_projects(self) -> set[int]:
        """Projects that always answer ``Erreur technique`` when faults are on."""
        if not self.faults:
            return set()
        ids = sorted(i for i in self.projects if i != SEED_PROJECT)
        return set(ids[3::SOFT_ERROR_EVERY])

    # --- ground truth ----------------------------------------------------
    def truth(self, base: str) -> dict[str, Any]:
        """What a perfect crawl of this replica at ``base`` writes and reports."""
        records = [
            self.project_record(p, base)
            for p in sorted(self.projects.values(), key=lambda p: p.id)
            if p.id not in self.soft_error_projects
        ]
        # A foreign collectivity is linked from its projects' pages only: one whose every
        # project fails for good (a soft error page) is never reached, so never written.
        reachable = [c for c in self.foreign.values() if set(c.projects) - self.soft_error_projects]
        records += [
            self.collectivity_record(c, base)
            for c in sorted(list(self.french.values()) + reachable, key=lambda c: (c.kind, c.id))
        ]
        return {
            "seed": self.seed,
            "projects": self.size,
            "faults": self.faults,
            "records": records,
            "failed_urls": [f"{base}detailProjet.html?criteres.prjId={i}" for i in sorted(self.soft_error_projects)],
            "announced": {
                **{
                    f"{base}listeProjetsPays.html?codePays={c}": len(ps)
                    for c, ps in self.projects_by_country.items()
                    if ps
                },
                **{
                    f"{base}listeCollectivites.html?codeRegion={r}": len(cs)
                    for r, cs in self.french_by_region.items()
                    if cs
                },
            },
        }

    def project_record(self, p: Project, base: str) -> dict[str, Any]:
        if p.seed:
            record = json.loads(resources.files(__package__).joinpath("data/project-2431.json").read_text("utf-8"))
            return json.loads(
                json.dumps(record).replace("https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/", base)
            )
        fields = {k: v for k, v in p.data.items() if k not in ("variant", "encoding")}
        return {
            "type": "project",
            "id": str(p.id),
            "url": f"{base}detailProjet.html?criteres.prjId={p.id}",
            **fields,
            "foreign_partners": [
                {
                    "name": c.name,
                    "country": c.country.name if c.country else None,
                    "id": str(c.id),
                    "url": f"{base}detailCollectiviteEtrangere.html?idCollectivite={c.id}",
                }
                for c in p.foreign
            ],
            "french_partners": [
                {
                    "name": c.name,
                    "id": str(c.id),
                    "url": f"{base}detailCollectiviteFrancaise.html?idCollectivite={c.id}",
                }
                for c in p.french
            ],
        }

    def collectivity_record(self, c: Collectivity, base: str) -> dict[str, Any]:
        page = "detailCollectiviteFrancaise.html" if c.kind == "french" else "detailCollectiviteEtrangere.html"
        return {
            "type": "collectivity",
            "id": str(c.id),
            "kind": c.kind,
            "url": f"{base}{page}?idCollectivite={c.id}",
            "name": c.name,
            "collectivity_type": c.type,
            "country": "France" if c.kind == "french" else (c.country.name if c.country else None),
            "region": c.region.name if c.region else None,
            "department": c.department,
            "website": c.website,
            "project_ids": [str(i) for i in c.projects],
            "extra": dict(c.extra),
        }
