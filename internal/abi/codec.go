package abi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/b64"
)

// The codec turns an op's JSON input into its Go input type and checks it
// on the way, from the type alone:
//
//   - The input is one JSON object in UTF-8; a member the type does not
//     have is refused, so a misspelt field is an error rather than a
//     silently ignored value.
//   - A field without omitempty in its json tag is required; null is the
//     same as absent.
//   - string, bool, int64 and int take their JSON kind (an integer: no
//     fraction, no exponent); []byte is standard base64 with padding
//     (internal/b64, strict); []string, map[string]string, nested structs
//     (and slices of them), json.RawMessage (any JSON value, kept as it
//     is) and the types with a decoder of their own (decoders) follow.
//   - Sizes come from the `limit` tag (bytes of a string or of decoded
//     base64, elements of a list): "small", "key", "jwt", "payload", or a
//     number. They are checked before anything of that size is allocated.
//
// Field documentation comes from the `doc` tag and feeds the schema.

// Named limits of the `limit` tag.
var namedLimits = map[string]int{
	"small":   gstcrypto.MaxSmallField,
	"key":     gstcrypto.MaxKeySize,
	"jwt":     gstcrypto.MaxJWTSize,
	"payload": gstcrypto.MaxPayloadSize,
	// text is a payload carried as text: JSON or base64 of a payload.
	"text": gstcrypto.MaxPayloadSize*4/3 + 64,
}

// defaultLimits apply where a field states none.
const (
	defaultStringLimit = gstcrypto.MaxSmallField
	defaultListLimit   = 1024
)

// fieldInfo is one member of an object type.
type fieldInfo struct {
	name     string
	index    []int
	typ      reflect.Type
	required bool
	limit    int
	doc      string
	format   string // "json": a string holding JSON text
	min      *int64
}

type structInfo struct {
	fields []fieldInfo
	byName map[string]int
}

var structCache sync.Map // reflect.Type → *structInfo

// infoOf returns the fields of a struct type, flattening embedded structs
// as encoding/json does.
func infoOf(t reflect.Type) *structInfo {
	if v, ok := structCache.Load(t); ok {
		return v.(*structInfo)
	}
	si := &structInfo{byName: map[string]int{}}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			idx := append(append([]int(nil), index...), i)
			tag, hasTag := f.Tag.Lookup("json")
			if f.Anonymous && !hasTag && f.Type.Kind() == reflect.Struct {
				walk(f.Type, idx)
				continue
			}
			if !f.IsExported() || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			fi := fieldInfo{name: name, index: idx, typ: f.Type, required: !strings.Contains(opts, "omitempty"),
				doc: f.Tag.Get("doc"), format: f.Tag.Get("format")}
			if l := f.Tag.Get("limit"); l != "" {
				if n, ok := namedLimits[l]; ok {
					fi.limit = n
				} else if n, err := strconv.Atoi(l); err == nil {
					fi.limit = n
				} else {
					panic("abi: bad limit tag " + l + " on " + t.Name() + "." + f.Name)
				}
			}
			if m := f.Tag.Get("min"); m != "" {
				n, err := strconv.ParseInt(m, 10, 64)
				if err != nil {
					panic("abi: bad min tag on " + t.Name() + "." + f.Name)
				}
				fi.min = &n
			}
			if _, dup := si.byName[name]; dup {
				panic("abi: duplicate field " + name + " in " + t.Name())
			}
			si.byName[name] = len(si.fields)
			si.fields = append(si.fields, fi)
		}
	}
	walk(t, nil)
	v, _ := structCache.LoadOrStore(t, si)
	return v.(*structInfo)
}

// customDecoder decodes one JSON value of a type the codec leaves to its
// package (a session is parsed and validated by core).
type customDecoder func(raw []byte) (reflect.Value, error)

var decoders = map[reflect.Type]customDecoder{}

// decodeInput decodes the JSON object in into v, a pointer to a struct.
// Empty input is the empty object.
func decodeInput(in []byte, v any) error {
	d := &decoder{data: in}
	d.skipSpace()
	if d.pos == len(d.data) {
		d.data = []byte("{}")
		d.pos = 0
	}
	if !utf8.Valid(in) {
		return invalid("input is not UTF-8")
	}
	rv := reflect.ValueOf(v).Elem()
	if d.peek() != '{' {
		if d.peek() == 'n' && bytes.Equal(bytes.TrimSpace(in), []byte("null")) {
			return invalid("input is not a JSON object: null")
		}
		if _, err := d.skipValue(0); err != nil {
			return invalid("input is not a JSON object: syntax error at byte %d", d.pos+1)
		}
		return invalid("input is not a JSON object")
	}
	if err := d.object(rv, ""); err != nil {
		return err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return invalid("input has data after the JSON object")
	}
	return nil
}

type decoder struct {
	data []byte
	pos  int
}

const maxDepth = 64

var errSyntax = errors.New("syntax")

func (d *decoder) syntax() error {
	return invalid("input is not a JSON object: syntax error at byte %d", d.pos+1)
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) peek() byte {
	d.skipSpace()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// object decodes a JSON object into the struct rv. path names the field
// holding it ("" at the top), for messages.
func (d *decoder) object(rv reflect.Value, path string) error {
	si := infoOf(rv.Type())
	d.pos++ // '{'
	var seen []bool
	if len(si.fields) <= 64 {
		var arr [64]bool
		seen = arr[:len(si.fields)]
	} else {
		seen = make([]bool, len(si.fields))
	}
	if d.peek() == '}' {
		d.pos++
	} else {
		for {
			if d.peek() != '"' {
				return d.syntax()
			}
			key, err := d.str()
			if err != nil {
				return err
			}
			if d.peek() != ':' {
				return d.syntax()
			}
			d.pos++
			i, ok := si.byName[key]
			if !ok {
				return invalid("unknown field %q", clipName(path+key))
			}
			if seen[i] {
				return invalid("field %q is given twice", path+key)
			}
			seen[i] = true
			f := &si.fields[i]
			if d.peek() == 'n' {
				if err := d.literal("null"); err != nil {
					return err
				}
				seen[i] = false // null is absent
			} else if err := d.value(rv.FieldByIndex(f.index), f, path+key); err != nil {
				return err
			}
			switch d.peek() {
			case ',':
				d.pos++
				continue
			case '}':
				d.pos++
			default:
				return d.syntax()
			}
			break
		}
	}
	for i := range si.fields {
		if !seen[i] && si.fields[i].required {
			return invalid("missing field %q", path+si.fields[i].name)
		}
	}
	return nil
}

func clipName(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// value decodes one JSON value into rv, checking f's limits.
func (d *decoder) value(rv reflect.Value, f *fieldInfo, name string) error {
	t := rv.Type()
	if dec, ok := decoders[t]; ok {
		start := d.pos
		if _, err := d.skipValue(0); err != nil {
			return err
		}
		v, err := dec(d.data[start:d.pos])
		if err != nil {
			return err
		}
		rv.Set(v)
		return nil
	}
	if t == rawMessageType {
		start := d.pos
		if _, err := d.skipValue(0); err != nil {
			return err
		}
		if limit := f.limit; limit > 0 && d.pos-start > limit {
			return tooLarge(name, limit)
		}
		rv.SetBytes(append([]byte(nil), d.data[start:d.pos]...))
		return nil
	}
	c := d.peek()
	switch t.Kind() {
	case reflect.String:
		if c != '"' {
			return wrongKind(name, "a string", c)
		}
		limit := f.limit
		if limit == 0 {
			limit = defaultStringLimit
		}
		// Escapes only shrink text, by at most 6:1 (\u0041 is "A"): a
		// literal over six times the limit cannot fit, and is refused
		// before it is decoded.
		if n := d.rawStringLen(); n > 6*limit+2 {
			return tooLarge(name, limit)
		}
		s, err := d.str()
		if err != nil {
			return err
		}
		if len(s) > limit {
			return tooLarge(name, limit)
		}
		rv.SetString(s)
		return nil
	case reflect.Bool:
		switch c {
		case 't':
			rv.SetBool(true)
			return d.literal("true")
		case 'f':
			rv.SetBool(false)
			return d.literal("false")
		}
		return wrongKind(name, "a boolean", c)
	case reflect.Int64, reflect.Int:
		if c != '-' && (c < '0' || c > '9') {
			return wrongKind(name, "an integer", c)
		}
		n, err := d.integer(name)
		if err != nil {
			return err
		}
		if f.min != nil && n < *f.min {
			return invalid("field %q must be at least %d", name, *f.min)
		}
		if t.Kind() == reflect.Int && int64(int(n)) != n {
			return invalid("field %q is out of range", name)
		}
		rv.SetInt(n)
		return nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			if c != '"' {
				return wrongKind(name, "a base64 string", c)
			}
			limit := f.limit
			if limit == 0 {
				limit = gstcrypto.MaxSmallField
			}
			if n := d.rawStringLen(); b64.DecodedLen(n-2) > limit+2 {
				return tooLarge(name, limit)
			}
			s, err := d.strBytes()
			if err != nil {
				return err
			}
			out, err := b64.Decode(s, limit)
			switch {
			case errors.Is(err, b64.ErrTooLarge):
				return tooLarge(name, limit)
			case errors.Is(err, b64.ErrLineBreak):
				return invalid("field %q is not standard base64 with padding (it has a line break)", name)
			case err != nil:
				return invalid("field %q is not standard base64 with padding", name)
			}
			rv.SetBytes(out)
			return nil
		}
		if c != '[' {
			return wrongKind(name, "an array", c)
		}
		return d.array(rv, f, name)
	case reflect.Map:
		if c != '{' {
			return wrongKind(name, "an object", c)
		}
		return d.mapOf(rv, f, name)
	case reflect.Struct:
		if c != '{' {
			return wrongKind(name, "an object", c)
		}
		return d.object(rv, name+".")
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := d.value(p.Elem(), f, name); err != nil {
			return err
		}
		rv.Set(p)
		return nil
	}
	panic("abi: the codec cannot decode " + t.String())
}

func (d *decoder) array(rv reflect.Value, f *fieldInfo, name string) error {
	limit := f.limit
	if limit == 0 {
		limit = defaultListLimit
	}
	d.pos++ // '['
	elem := fieldInfo{typ: rv.Type().Elem()}
	out := reflect.MakeSlice(rv.Type(), 0, 4)
	if d.peek() == ']' {
		d.pos++
		rv.Set(out)
		return nil
	}
	for i := 0; ; i++ {
		if i >= limit {
			return &gstcrypto.Error{Code: gstcrypto.CodeTooLarge,
				Message: fmt.Sprintf("field %q has more than %d elements", name, limit)}
		}
		ev := reflect.New(elem.typ).Elem()
		if d.peek() == 'n' {
			return invalid("field %q element %d is null", name, i)
		}
		if err := d.value(ev, &elem, fmt.Sprintf("%s[%d]", name, i)); err != nil {
			return err
		}
		out = reflect.Append(out, ev)
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			rv.Set(out)
			return nil
		default:
			return d.syntax()
		}
	}
}

func (d *decoder) mapOf(rv reflect.Value, f *fieldInfo, name string) error {
	limit := f.limit
	if limit == 0 {
		limit = defaultListLimit
	}
	d.pos++ // '{'
	m := reflect.MakeMap(rv.Type())
	elem := fieldInfo{typ: rv.Type().Elem()}
	if d.peek() == '}' {
		d.pos++
		rv.Set(m)
		return nil
	}
	for i := 0; ; i++ {
		if i >= limit {
			return &gstcrypto.Error{Code: gstcrypto.CodeTooLarge,
				Message: fmt.Sprintf("field %q has more than %d members", name, limit)}
		}
		if d.peek() != '"' {
			return d.syntax()
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		if len(key) > gstcrypto.MaxSmallField {
			return tooLarge(name, gstcrypto.MaxSmallField)
		}
		if d.peek() != ':' {
			return d.syntax()
		}
		d.pos++
		kv := reflect.ValueOf(key)
		if m.MapIndex(kv).IsValid() {
			return invalid("field %q has the member %q twice", name, clipName(key))
		}
		ev := reflect.New(elem.typ).Elem()
		if d.peek() == 'n' {
			return invalid("field %q member %q is null", name, clipName(key))
		}
		if err := d.value(ev, &elem, name+"."+key); err != nil {
			return err
		}
		m.SetMapIndex(kv, ev)
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			rv.Set(m)
			return nil
		default:
			return d.syntax()
		}
	}
}

func (d *decoder) literal(lit string) error {
	if !bytes.HasPrefix(d.data[d.pos:], []byte(lit)) {
		return d.syntax()
	}
	d.pos += len(lit)
	return nil
}

// integer reads a JSON number that must be an integer.
func (d *decoder) integer(name string) (int64, error) {
	start := d.pos
	if _, err := d.number(); err != nil {
		return 0, err
	}
	text := string(d.data[start:d.pos])
	if strings.ContainsAny(text, ".eE") {
		return 0, invalid("field %q must be an integer, not a number with a fraction or exponent", name)
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, invalid("field %q is out of range", name)
	}
	return n, nil
}

// number skips one JSON number (RFC 8259 §6).
func (d *decoder) number() (int, error) {
	start := d.pos
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		d.pos++
	}
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.pos < len(d.data) && d.data[d.pos] == '0' {
		d.pos++
	} else if digits() == 0 {
		return 0, d.syntax()
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return 0, d.syntax()
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return 0, d.syntax()
		}
	}
	return d.pos - start, nil
}

// rawStringLen is the length of the string literal at pos, quotes
// included, without decoding it (0 if it does not end).
func (d *decoder) rawStringLen() int {
	i := d.pos + 1
	for i < len(d.data) {
		switch d.data[i] {
		case '\\':
			i += 2
			continue
		case '"':
			return i + 1 - d.pos
		}
		i++
	}
	return 0
}

// str decodes the string literal at pos.
func (d *decoder) str() (string, error) {
	b, err := d.strBytes()
	return string(b), err
}

// strBytes decodes the string literal at pos; without escapes the result
// aliases the input.
func (d *decoder) strBytes() ([]byte, error) {
	d.pos++ // '"'
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			s := d.data[start:d.pos]
			d.pos++
			return s, nil
		case c == '\\':
			return d.strEscaped(start)
		case c < 0x20:
			return nil, d.syntax()
		}
		d.pos++
	}
	return nil, d.syntax()
}

func (d *decoder) strEscaped(start int) ([]byte, error) {
	out := append([]byte(nil), d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return out, nil
		case c < 0x20:
			return nil, d.syntax()
		case c != '\\':
			out = append(out, c)
			d.pos++
			continue
		}
		d.pos++
		if d.pos >= len(d.data) {
			return nil, d.syntax()
		}
		e := d.data[d.pos]
		d.pos++
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return nil, d.syntax()
			}
			if utf16.IsSurrogate(r) {
				var r2 rune = -1
				if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
					d.pos += 2
					if r2, ok = d.hex4(); !ok {
						return nil, d.syntax()
					}
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					// A lone surrogate is not text: refuse it rather than
					// replace it (encoding/json would write U+FFFD).
					return nil, invalid("input has an unpaired UTF-16 surrogate escape")
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, d.syntax()
		}
	}
	return nil, d.syntax()
}

func (d *decoder) hex4() (rune, bool) {
	if d.pos+4 > len(d.data) {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.pos += 4
	return r, true
}

// skipValue skips one JSON value, checking its syntax; depth bounds
// nesting.
func (d *decoder) skipValue(depth int) (int, error) {
	if depth > maxDepth {
		return 0, invalid("input nests deeper than %d levels", maxDepth)
	}
	start := d.pos
	switch c := d.peek(); {
	case c == '"':
		if _, err := d.strBytes(); err != nil {
			return 0, err
		}
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		d.pos++
		if d.peek() == closer {
			d.pos++
			break
		}
		for {
			if c == '{' {
				if d.peek() != '"' {
					return 0, d.syntax()
				}
				if _, err := d.strBytes(); err != nil {
					return 0, err
				}
				if d.peek() != ':' {
					return 0, d.syntax()
				}
				d.pos++
			}
			if _, err := d.skipValue(depth + 1); err != nil {
				return 0, err
			}
			switch d.peek() {
			case ',':
				d.pos++
				continue
			case closer:
				d.pos++
			default:
				return 0, d.syntax()
			}
			break
		}
	case c == 't':
		return 0, d.literal("true")
	case c == 'f':
		return 0, d.literal("false")
	case c == 'n':
		return 0, d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		if _, err := d.number(); err != nil {
			return 0, err
		}
	default:
		return 0, d.syntax()
	}
	return d.pos - start, nil
}

var rawMessageType = reflect.TypeOf(json.RawMessage(nil))

func wrongKind(field, want string, c byte) error {
	got := "a number"
	switch c {
	case '"':
		got = "a string"
	case '{':
		got = "an object"
	case '[':
		got = "an array"
	case 't', 'f':
		got = "a boolean"
	case 'n':
		got = "null"
	case 0:
		got = "nothing"
	}
	return invalid("field %q must be %s, not %s", field, want, got)
}

func tooLarge(field string, limit int) error {
	return &gstcrypto.Error{Code: gstcrypto.CodeTooLarge, Message: fmt.Sprintf("field %q is over its size limit of %d bytes", field, limit)}
}

func invalid(format string, args ...any) error {
	return &gstcrypto.Error{Code: gstcrypto.CodeInvalidInput, Message: fmt.Sprintf(format, args...)}
}

// marshal encodes an output as compact JSON without HTML escaping, so JSON
// text in string fields stays readable and identical in every host.
func marshal(v any) ([]byte, error) {
	e := encoders.Get().(*encoder)
	defer func() {
		if e.buf.Cap() <= 64<<10 {
			e.buf.Reset()
			encoders.Put(e)
		}
	}()
	if err := e.enc.Encode(v); err != nil {
		return nil, &gstcrypto.Error{Code: gstcrypto.CodeInternal, Message: "could not encode the output"}
	}
	out := bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))
	if e.buf.Cap() > 64<<10 {
		return out, nil // a large output keeps its buffer, uncopied
	}
	return append([]byte(nil), out...), nil
}

// encoder is a reusable JSON encoder over its own buffer.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}
