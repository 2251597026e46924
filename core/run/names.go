package run

import "strings"

// Alternatives writes names as a choice in words, for help texts and
// errors: "uniform, fairnas or pa".
func Alternatives(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
