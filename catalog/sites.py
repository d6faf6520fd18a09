"""Scan sites: the places where the administrations scan (ports, border crossings, parcel hubs,
airports), named by UN/LOCODE, with the one point that stands for each.

An item's geometry is its site's point and nothing finer: the point is the site's published
position (UN/LOCODE gives minutes of arc; here two decimals of a degree, about 1 km), not where in
the terminal the scanner stands. A scan whose sidecar names no site, or whose holding's owner
withholds geometry, has no geometry at all. The table is shipped with the project, so the node
needs nothing from the network; a site missing here is an ingest error that names the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from catalog.errors import CatalogError

__all__ = ["LOCODE", "SITES", "Site", "UnknownSite", "site", "sites_of"]

LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
Kind = Literal["port", "border", "airport", "parcel-hub"]
# What each kind of site scans (the synthetic generator places scans by this).
SERVES: dict[Kind, frozenset[str]] = {
    "port": frozenset({"sea-container", "rail-wagon", "road-vehicle"}),
    "border": frozenset({"road-vehicle", "rail-wagon"}),
    "airport": frozenset({"air-cargo", "parcel", "post"}),
    "parcel-hub": frozenset({"parcel", "post", "air-cargo"}),
}


class UnknownSite(CatalogError, ValueError):
    """A site code that is malformed or not in the table."""

    code = "unknown-site"


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    kind: Kind
    lon: float
    lat: float

    @property
    def country(self) -> str:
        return self.code[:2]

    def geometry(self) -> dict[str, object]:
        return {"type": "Point", "coordinates": [self.lon, self.lat]}

    def __post_init__(self) -> None:
        if not LOCODE.fullmatch(self.code):
            raise ValueError(f"{self.code!r} is not a UN/LOCODE")
        if not (-180 <= self.lon <= 180 and -90 <= self.lat <= 90):
            raise ValueError(f"{self.code}: coordinates out of range")
        if round(self.lon, 2) != self.lon or round(self.lat, 2) != self.lat:
            raise ValueError(f"{self.code}: a site point has at most two decimals (never finer)")


_TABLE = (
    # NLD
    Site("NLRTM", "Rotterdam", "port", 4.50, 51.92),
    Site("NLVLI", "Vlissingen", "port", 3.69, 51.44),
    Site("NLAMS", "Amsterdam Schiphol", "airport", 4.76, 52.31),
    Site("NLVEN", "Venlo", "parcel-hub", 6.17, 51.37),
    # BEL
    Site("BEANR", "Antwerp", "port", 4.30, 51.28),
    Site("BEZEE", "Zeebrugge", "port", 3.20, 51.33),
    Site("BEBRU", "Brussels Airport", "airport", 4.48, 50.90),
    Site("BELGG", "Liège", "parcel-hub", 5.44, 50.64),
    # GBR
    Site("GBFXT", "Felixstowe", "port", 1.32, 51.96),
    Site("GBSOU", "Southampton", "port", -1.43, 50.90),
    Site("GBDVR", "Dover", "border", 1.33, 51.12),
    Site("GBLHR", "London Heathrow", "airport", -0.45, 51.47),
    Site("GBEMA", "East Midlands", "parcel-hub", -1.33, 52.83),
    # USA
    Site("USLAX", "Los Angeles", "port", -118.26, 33.73),
    Site("USNYC", "New York", "port", -74.15, 40.68),
    Site("USLRD", "Laredo", "border", -99.51, 27.50),
    Site("USJFK", "New York JFK", "airport", -73.78, 40.64),
    Site("USMEM", "Memphis", "parcel-hub", -89.98, 35.04),
    # CAN
    Site("CAVAN", "Vancouver", "port", -123.10, 49.29),
    Site("CAMTR", "Montréal", "port", -73.53, 45.55),
    Site("CAWND", "Windsor", "border", -83.02, 42.31),
    Site("CATOR", "Toronto", "airport", -79.62, 43.68),
    Site("CAMIS", "Mississauga", "parcel-hub", -79.65, 43.59),
    # AUS
    Site("AUBTB", "Port Botany", "port", 151.22, -33.97),
    Site("AUMEL", "Melbourne", "port", 144.91, -37.83),
    Site("AUSYD", "Sydney Airport", "airport", 151.18, -33.94),
    Site("AUBNE", "Brisbane", "parcel-hub", 153.12, -27.39),
    # NZL
    Site("NZAKL", "Auckland", "port", 174.78, -36.84),
    Site("NZTRG", "Tauranga", "port", 176.18, -37.65),
    Site("NZCHC", "Christchurch", "airport", 172.53, -43.49),
    Site("NZWLG", "Wellington", "parcel-hub", 174.81, -41.33),
)

#: Every site, by UN/LOCODE.
SITES = MappingProxyType({s.code: s for s in _TABLE})
_COUNTRY = {"AUS": "AU", "BEL": "BE", "CAN": "CA", "GBR": "GB", "NLD": "NL", "NZL": "NZ",
            "USA": "US"}  # fmt: skip


def site(code: str) -> Site:
    if not isinstance(code, str) or not LOCODE.fullmatch(code):
        raise UnknownSite(f"{str(code)[:16]!r} is not a UN/LOCODE (two letters, three of A-Z 2-9)")
    found = SITES.get(code)
    if found is None:
        raise UnknownSite(f"{code} is not a known scan site (catalog/sites.py lists them)")
    return found


def sites_of(admin: str, conveyance: str | None = None) -> tuple[Site, ...]:
    """The sites of an administration (ISO alpha-3), those that scan ``conveyance`` if given."""
    country = _COUNTRY.get(admin)
    return tuple(
        s for s in _TABLE
        if s.country == country and (conveyance is None or conveyance in SERVES[s.kind])
    )  # fmt: skip
