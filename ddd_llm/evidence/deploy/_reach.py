"""Which service of a deployment a configured URL reaches.

A setting whose value is a URL calls whatever answers at its host and port. Within one
deployment that is another service when the host is the service's name
(`http://catalog:8080`), or when the host is this machine (`localhost`, `127.0.0.1`) and
the port is one another service publishes on the host (a compose `ports: "5200:8080"`).
`url_endpoints` reads the URLs of a value (compose's environment rule uses it too);
`reached_dependencies` turns the settings of services whose owner is known into runtime
dependencies. Nothing is said for a URL at the service's own port, an external host, a port
nobody publishes, or a setting whose name says it lists callers or pages (CORS origins,
redirect and callback URLs, an advertised or external address, a listen address).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from ddd_llm.evidence.config_files._common import effective
from ddd_llm.models import Citation, ConfigParameter, Dependency, FactBase, ResourceRequirement

_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}
_PUBLISHED = re.compile(
    r"^(?:(?P<ip>\[[^\]]*\]|[^:\[\]]+):)?(?P<host>\d{1,5}):(?P<container>\d{1,5})"
    r"(?:/(?P<proto>[A-Za-z]+))?$"
)
"""Docker's publish syntax, `[ip:]host:container[/proto]`: the container port on the host."""
_ALL_INTERFACES = frozenset({"", "0.0.0.0", "::", "[::]"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
NOT_A_CALL = (
    "origin",
    "cors",
    "allow",
    "redirect",
    "callback",
    "return",
    "logout",
    "signout",
    "external",
    "advertis",
    "announce",
    "issuer",
    "audience",
    "listen",
    "bind",
    "frontend",
    "client",
)
"""Word stems of setting names whose URL is not one the service calls: who may call it
(`AllowedOrigins`, `CORS_ORIGINS`), where it sends a browser (`RedirectUri`, `callbackUrl`,
`ReturnUrl`), how others see it (`EXTERNAL_URL`, `advertised.listeners`), who issued or
may receive a token (`Issuer`, `Audience`), where it listens itself (`LISTEN_ADDR`), or the
address of a client of its own: the front end a back end links to (`FRONTEND_URL`,
`CLIENT_URL`), the applications an identity server signs in (`MvcClient`). A key that names
the service's own HTTP client of another (`ApiClient:BaseUrl`) is missed with them."""


@dataclass(frozen=True)
class Endpoint:
    """One URL of a value: its scheme, host (lowercase) and port (explicit, else the
    scheme's default, else None)."""

    url: str
    scheme: str
    host: str
    port: int | None


def url_endpoints(value: str) -> list[Endpoint]:
    """Every `scheme://host[:port]` in a value (several may be separated by `,` `;` or
    spaces: `mongodb://a:27017,b:27017`)."""
    out: list[Endpoint] = []
    for part in re.split(r"[,;\s]+", value):
        if "://" not in part:
            continue
        try:
            url = urlsplit(part)
            host = url.hostname
        except ValueError:
            continue
        if not host:
            continue
        try:
            port = url.port
        except ValueError:
            port = None  # `http://api:PORT/`: the host is still named
        scheme = url.scheme.lower()
        out.append(Endpoint(part, scheme, host, port or _DEFAULT_PORTS.get(scheme)))
    return out


def is_loopback(host: str) -> bool:
    """`localhost`, `*.localhost`, `127.x.x.x`, `::1`: this machine."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def names_no_call(name: str) -> bool:
    """Whether a setting's name says its URL is not one the service calls (NOT_A_CALL)."""
    words = [w.lower() for w in _WORD.findall(name)]
    return any(w.startswith(stem) for w in words for stem in NOT_A_CALL)


def port_numbers(value: str | None) -> set[int]:
    """Every port number a port fact's value holds (`5200:8080` → {5200, 8080})."""
    return {int(n) for n in re.findall(r"\d{1,5}", value or "") if 0 < int(n) < 65536}


def published_port(value: str | None) -> int | None:
    """The host port a `[ip:]host:container[/tcp]` value publishes where `localhost` reaches
    it (every interface, or a loopback one); None for anything else (a bare container port,
    a range, UDP, a port bound to another interface)."""
    match = _PUBLISHED.match((value or "").strip())
    if match is None:
        return None
    if (match.group("proto") or "tcp").lower() != "tcp":
        return None
    ip = (match.group("ip") or "").strip()
    if ip not in _ALL_INTERFACES and not is_loopback(ip):
        return None
    port = int(match.group("host"))
    return port if 0 < port < 65536 else None


def _folder(path: str) -> str:
    return str(PurePosixPath(path).parent)


@dataclass(frozen=True)
class _Published:
    service: str
    citation: Citation


class _Deployment:
    """What the deployment files say about reaching each service: its published host ports
    (per folder of the files that publish them) and every port it answers on."""

    def __init__(self, facts: Sequence[FactBase], places: Mapping[str, set[str]]) -> None:
        self.places = places
        self.published: dict[tuple[str, int], list[_Published]] = {}
        self.own: dict[str, set[int]] = {}
        for fact in facts:
            if not isinstance(fact, ResourceRequirement) or fact.resource != "port":
                continue
            if fact.service is None or fact.service not in places:
                continue
            self.own.setdefault(fact.service, set()).update(port_numbers(fact.value))
            port = published_port(fact.value)
            if port is not None:
                where = (_folder(fact.citations[0].path), port)
                self.published.setdefault(where, []).append(
                    _Published(fact.service, fact.citations[0])
                )

    def publisher(self, service: str, port: int) -> _Published | None:
        """The one other service publishing `port` in a folder that declares `service`."""
        found = [
            p
            for folder in sorted(self.places.get(service, ()))
            for p in self.published.get((folder, port), [])
        ]
        names = {p.service for p in found}
        if len(names) != 1 or service in names:
            return None
        return found[0]


def reached_dependencies(
    facts: Sequence[FactBase], services: Mapping[str, Iterable[Citation]]
) -> list[Dependency]:
    """Runtime dependencies implied by the URLs in the settings of owned services.

    `services` maps each deployed service (lowercase) to the citations declaring it; the
    folders of those files are its deployment. A setting of service S whose URL has the host
    T (a deployed service) makes S depend on T; one whose URL is `localhost:P`, where one
    other service T of S's deployment publishes the host port P, does too, citing the
    setting's line and the publishing line. A pair another fact already links is left to it.
    """
    places = {name: {_folder(c.path) for c in cites} for name, cites in services.items()}
    deployment = _Deployment(facts, places)
    linked = {f.id for f in facts if isinstance(f, Dependency)}
    found: dict[str, Dependency] = {}
    for fact in facts:
        if not isinstance(fact, ConfigParameter) or fact.service not in places:
            continue
        value = effective(fact.default)
        if not value or "://" not in value or names_no_call(fact.name):
            continue
        source = fact.service
        own = deployment.own.get(source, set())
        for endpoint in url_endpoints(value):
            cites = list(fact.citations)
            shown = re.sub(r"//[^/@]*@", "//", endpoint.url)  # never a user or password
            if endpoint.host in places and endpoint.host != source:
                target = endpoint.host
                how = f"calls {target} at {shown} ({fact.name})"
            elif is_loopback(endpoint.host) and endpoint.port is not None:
                if endpoint.port in own:
                    continue  # its own address
                publisher = deployment.publisher(source, endpoint.port)
                if publisher is None:
                    continue
                target = publisher.service
                cites.append(publisher.citation)
                how = (
                    f"calls {target} at {shown} ({fact.name}), "
                    f"the port {target} publishes on the host"
                )
            else:
                continue
            dependency = Dependency(
                service=source,
                target=target,
                dependency_type="runtime",
                summary=f"{source} {how}",
                citations=cites,
            )
            if dependency.id in linked:
                continue
            known = found.get(dependency.id)
            if known is None:
                found[dependency.id] = dependency
            else:
                known.citations.extend(c for c in cites if c not in known.citations)
    return list(found.values())
