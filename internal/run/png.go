package run

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// WritePNG draws the same percentile distribution as WriteSVG, as a PNG.
func (l *Latencies) WritePNG(w io.Writer, title string) error {
	const width, height, left, bottom, top, right = 800, 420, 70, 50, 40, 20
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	black := color.RGBA{0, 0, 0, 255}
	grid := color.RGBA{221, 221, 221, 255}
	blue := color.RGBA{31, 119, 180, 255}
	text := func(x, y int, s string, align float64) {
		d := &font.Drawer{Dst: img, Src: image.NewUniform(black), Face: basicfont.Face7x13}
		adv := d.MeasureString(s).Round()
		d.Dot = fixed.P(x-int(float64(adv)*align), y)
		d.DrawString(s)
	}
	maxMS := float64(l.Max()) / 1e6
	ticks := axisTicks(maxMS)
	topMS := ticks[len(ticks)-1].ms
	xOf := func(q float64) float64 { return left + (width-left-right)*math.Log10(1/(1-q))/4 }
	yOf := func(ms float64) float64 { return height - bottom - (height-bottom-top)*ms/topMS }

	text(left, 24, title, 0)
	for i, label := range []string{"0%", "90%", "99%", "99.9%", "99.99%"} {
		x := left + (width-left-right)*float64(i)/4
		line(img, x, top, x, height-bottom, grid)
		text(int(x), height-bottom+18, label, 0.5)
	}
	for _, tick := range ticks {
		y := yOf(tick.ms)
		line(img, left, y, width-right, y, grid)
		text(left-6, int(y)+4, latin(tick.label), 1)
	}
	line(img, left, height-bottom, width-right, height-bottom, black)
	line(img, left, top, left, height-bottom, black)
	qs := distributionQuantiles()
	qs = qs[:len(qs)-1]
	for i := 1; i < len(qs); i++ {
		x0, y0 := xOf(qs[i-1]), yOf(float64(l.Quantile(math.Max(qs[i-1], 1e-9)))/1e6)
		x1, y1 := xOf(qs[i]), yOf(float64(l.Quantile(qs[i]))/1e6)
		for d := -1.0; d <= 1; d++ { // two pixels wide
			line(img, x0, y0+d/2, x1, y1+d/2, blue)
		}
	}
	text((width+left)/2, height-12, fmt.Sprintf("percentile (%d messages, max %s)", l.Count(), latin(msLabel(maxMS))), 0.5)
	return png.Encode(w, img)
}

// latin writes µ as u: the PNG's font has ASCII only.
func latin(s string) string { return strings.ReplaceAll(s, "µ", "u") }

// line draws a straight line by stepping along its longer axis.
func line(img *image.RGBA, x0, y0, x1, y1 float64, c color.Color) {
	steps := math.Max(math.Abs(x1-x0), math.Abs(y1-y0))
	if steps < 1 {
		steps = 1
	}
	for i := 0.0; i <= steps; i++ {
		x := x0 + (x1-x0)*i/steps
		y := y0 + (y1-y0)*i/steps
		img.Set(int(math.Round(x)), int(math.Round(y)), c)
	}
}
