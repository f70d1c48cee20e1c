"""Regenerate docs/pack-*.png: the demo's steering pack written as PowerPoint, rendered by
LibreOffice headless (as a committee member would open it) and saved per slide.

    python docs/pack_images.py        # needs soffice (Debian: libreoffice-impress)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLIDES = {1: "overview", 3: "suppliers", 5: "matrix", 6: "initiatives", 8: "watchlist"}   # 0-based pages


def main() -> int:
    import pypdfium2 as pdfium

    from analytics import demo, store
    from analytics import report as rp

    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        print("docs/pack_images.py: LibreOffice (soffice) is needed; apt-get install libreoffice-impress", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        con = store.connect(Path(tmp) / "demo.duckdb")
        demo.load_demo(con.cursor())
        deck = Path(tmp) / "pack.pptx"
        deck.write_bytes(rp.to_pptx(rp.build(con.cursor(), org="Demokommun")))
        subprocess.run([exe, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to", "pdf",
                        "--outdir", tmp, str(deck)], check=True, capture_output=True, timeout=300)
        pdf = pdfium.PdfDocument(str(Path(tmp) / "pack.pdf"))
        for page, name in SLIDES.items():
            image = pdf[page].render(scale=1).to_pil().convert("P", palette=1, colors=128)
            image.save(ROOT / "docs" / f"pack-{name}.png", optimize=True)
            print(f"docs/pack-{name}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
