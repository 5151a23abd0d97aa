package core

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr on first use. Bounded repetitions such as {1,128}
// compile to thousands of allocations; at package load the plugin would pay
// them on every fresh instance, whether the pattern is used or not.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
