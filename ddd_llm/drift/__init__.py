"""Drift: live configuration (compose, kubectl, env, config files, systemd) against the facts.

    sources = [read_source(Path("compose.live.yaml"))]     # sources.py: records per format
    result = compare(document, sources)                      # compare.py: findings
    print(render(result, "text"))                            # report.py: table, json, sarif

Every live value is redacted when it is read (`sources.scrub`), so nothing later can print
or store a secret.
"""
