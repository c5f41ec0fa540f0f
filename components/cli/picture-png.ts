/**
 * The picture's SVG rasterised to PNG with resvg (Rust, shipped prebuilt for each platform as
 * an npm optional dependency). It sits in the command's layer, not with the pure picture code:
 * it loads a native module and reads the system's fonts. Text needs a monospaced font on the
 * machine (Debian: fonts-dejavu-core); without one the boxes and edges still render.
 */
import { Resvg } from "@resvg/resvg-js";

/** `scale` 2 keeps 11-12 px text readable on high-density screens. */
export function svgToPng(svg: string, scale = 2): Buffer {
    const resvg = new Resvg(svg, {
        fitTo: { mode: "zoom", value: scale },
        background: "#ffffff",
        font: { loadSystemFonts: true, monospaceFamily: "DejaVu Sans Mono", defaultFontFamily: "DejaVu Sans Mono" },
        logLevel: "off",
    });
    return resvg.render().asPng();
}
