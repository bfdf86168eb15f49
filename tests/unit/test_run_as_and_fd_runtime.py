"""Two run-time requirements a C daemon's deployment and code state without naming them:
the user its unit's command line tells it to become (`-u ${USER}` with `USER=nobody` in the
environment file, where the code declares `-u` as `--user`), and the open-file limit it
raises at start (`setrlimit(RLIMIT_NOFILE, …)`). A `-u` the code does not call `--user`,
and a `--user` left as an unresolved variable, are no permission."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_docs_deps import extract, of_kind

DAEMON_C = """\
#include <getopt.h>
#include <stdlib.h>
#include <sys/resource.h>

static struct { int maxconns; } settings;
static char *username = NULL;

int main(int argc, char **argv) {
    struct rlimit rlim;
    static struct option longopts[] = {
        {"user", required_argument, 0, 'u'},
        {"conn-limit", required_argument, 0, 'c'},
        {0, 0, 0, 0}
    };
    int c;
    settings.maxconns = 1024;
    while ((c = getopt_long(argc, argv, "u:c:", longopts, NULL)) != -1) {
        switch (c) {
        case 'u':
            username = optarg;
            break;
        case 'c':
            settings.maxconns = atoi(optarg);
            break;
        }
    }
    if (getrlimit(RLIMIT_NOFILE, &rlim) != 0) {
        exit(1);
    } else {
        rlim.rlim_cur = settings.maxconns;
        rlim.rlim_max = settings.maxconns;
        if (setrlimit(RLIMIT_NOFILE, &rlim) != 0) {
            exit(1);
        }
    }
    return 0;
}
"""
UNIT = """\
[Service]
EnvironmentFile=/etc/sysconfig/kvd
ExecStart=/usr/bin/kvd -u ${USER} -c ${MAXCONN}
"""
OTHER_UNIT = """\
[Service]
ExecStart=/usr/bin/python3 -u -m kvd_exporter --user ${EXPORTER_USER}
"""


def test_user_flag_and_file_limit(tmp_path: Path) -> None:
    got = extract(
        tmp_path,
        {
            "src/kvd.c": DAEMON_C,
            "scripts/kvd.service": UNIT,
            "scripts/kvd.sysconfig": 'USER="nobody"\nMAXCONN="4096"\n',
            "scripts/kvd-exporter.service": OTHER_UNIT,
        },
    )
    resources = of_kind(got, "resource_requirement")
    user = resources["resource_requirement:kvd:permission:user:nobody"]
    assert [c["path"] for c in user["citations"]] == [  # type: ignore[attr-defined]
        "scripts/kvd.service",
        "scripts/kvd.sysconfig",
    ]
    assert user["verification"]["status"] == "verified"  # type: ignore[index]
    # python's `-u` is "unbuffered", and `${EXPORTER_USER}` is set nowhere: no user known
    assert [k for k in resources if ":permission:" in k] == [
        "resource_requirement:kvd:permission:user:nobody"
    ]
    fds = [v for k, v in resources.items() if k.endswith(":file_descriptors")]
    assert len(fds) == 1
    assert "settings.maxconns" in str(fds[0]["summary"])
    assert "--conn-limit" in str(fds[0]["summary"])
    cited = fds[0]["citations"][0]  # type: ignore[index]
    assert (cited["path"], cited["start_line"], cited["end_line"]) == ("src/kvd.c", 30, 32)
    assert fds[0]["verification"]["status"] == "verified"  # type: ignore[index]
