package portal

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"image/png"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/blob"
)

// Clean decodes a JPEG or PNG photo and encodes it again, which keeps the
// pixels and drops everything else: EXIF and XMP (APP1: GPS position,
// camera, time), comments, PNG text chunks. WebP is refused: the standard
// library cannot decode it, so it could not be cleaned. maxPixels bounds
// width×height before decoding (a small file can claim a huge image).
//
// A JPEG's EXIF orientation would go with the rest, so the pixels are
// turned as it says first: the photo shows the way it was taken. The
// original is not kept.
func Clean(data []byte, maxPixels int) ([]byte, string, error) {
	ct := blob.Sniff(data)
	if ct != "image/jpeg" && ct != "image/png" {
		if ct == "image/webp" {
			return nil, "", xiuhua.Errorf(xiuhua.EUnsupported, "WebP photos are not accepted: please send a JPEG or PNG",
				"不接受 WebP 格式的照片，请使用 JPEG 或 PNG")
		}
		return nil, "", xiuhua.Errorf(xiuhua.EUnsupported, "the file is not a photo: please send a JPEG or PNG",
			"该文件不是照片，请使用 JPEG 或 PNG 格式")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", xiuhua.Errorf(xiuhua.EUnsupported, "the photo could not be read (damaged file?)", "无法读取照片（文件可能已损坏）")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPixels/max(cfg.Height, 1) {
		return nil, "", xiuhua.Errorf(xiuhua.ETooLarge, "the photo is %d×%d pixels: at most %d million pixels",
			"照片为 %d×%d 像素，不能超过 %d 百万像素", cfg.Width, cfg.Height, max(maxPixels/1_000_000, 1))
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", xiuhua.Errorf(xiuhua.EUnsupported, "the photo could not be read (damaged file?)", "无法读取照片（文件可能已损坏）")
	}
	if ct == "image/jpeg" {
		img = orient(img, orientation(data))
	}
	var out bytes.Buffer
	if ct == "image/png" {
		err = png.Encode(&out, img)
	} else {
		err = jpeg.Encode(&out, img, &jpeg.Options{Quality: 85})
	}
	if err != nil {
		return nil, "", xiuhua.Internal(err)
	}
	return out.Bytes(), ct, nil
}

// orientation reads the EXIF orientation (1–8) of a JPEG, 1 when it has
// none or it cannot be read. Phones store a photo as the sensor saw it and
// say in this tag how to turn it; re-encoding drops the tag, so Clean turns
// the pixels instead.
func orientation(data []byte) int {
	i := 2
	for i+4 <= len(data) && data[i] == 0xFF {
		m := data[i+1]
		if m == 0xDA || m == 0xD9 { // start of scan, end of image: no more metadata
			break
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			break
		}
		seg := data[i+4 : i+2+n]
		if m == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

func tiffOrientation(t []byte) int {
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if len(t) < 8 {
		return 1
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[ifd:]))
	for k := 0; k < count; k++ {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			break
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 {
			if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
				return o
			}
		}
	}
	return 1
}

// orient turns an image as EXIF orientation o says (2–8; 1 is as is).
func orient(src image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return src
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			var sx, sy int
			switch o {
			case 2: // mirrored
				sx, sy = w-1-x, y
			case 3: // upside down
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored upside down
				sx, sy = x, h-1-y
			case 5: // transposed
				sx, sy = y, x
			case 6: // turned a quarter anticlockwise: turn it clockwise
				sx, sy = y, h-1-x
			case 7: // transversed
				sx, sy = w-1-y, h-1-x
			case 8: // turned a quarter clockwise: turn it back
				sx, sy = w-1-y, x
			}
			dst.Set(x, y, src.At(b.Min.X+sx, b.Min.Y+sy))
		}
	}
	return dst
}
