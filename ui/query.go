package ui

import (
	"errors"
	"strconv"
	"strings"
)

// The page's hash is a URL query. These two functions are net/url's
// QueryEscape and ParseQuery, written here because net/url (which links
// net/netip, unique and weak) is about 10 KB of the page's brotli
// download and the page uses nothing else of it. TestQueryMatchesURL
// holds them to net/url on fixed and random strings: the same output, the
// same values and the same error text.

// queryEscape escapes s for a query component: unreserved bytes as they
// are, space as '+', every other byte as %XX.
func queryEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

var errSemicolon = errors.New("invalid semicolon separator in query")

// parseQuery reads key=value pairs separated by '&'. Like
// url.ParseQuery it keeps going after a bad pair and returns the first
// error (a semicolon's last) with what it could read.
func parseQuery(q string) (map[string][]string, error) {
	m := map[string][]string{}
	var first error
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		if strings.Contains(pair, ";") {
			// net/url lets this error replace an earlier one.
			first = errSemicolon
			continue
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := queryUnescape(k)
		if err == nil {
			v, err = queryUnescape(v)
		}
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		m[k] = append(m[k], v)
	}
	return m, first
}

// queryUnescape undoes queryEscape: %XX to its byte, '+' to a space.
func queryUnescape(s string) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				e := s[i:]
				if len(e) > 3 {
					e = e[:3]
				}
				return "", errors.New("invalid URL escape " + strconv.Quote(e))
			}
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		case '+':
			b.WriteByte(' ')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
