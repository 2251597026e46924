package space_test

import (
	"fmt"

	"pada/core/space"
)

func ExampleParse() {
	a, err := space.Parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
	if err != nil {
		fmt.Println(err)
		return
	}
	for e, op := range a {
		fmt.Println(space.Edges[e], op)
	}
	fmt.Println(a.Index())

	_, err = space.Parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~2|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
	fmt.Println(err)
	// Output:
	// 1<-0 nor_conv_3x3
	// 2<-0 nor_conv_3x3
	// 2<-1 nor_conv_3x3
	// 3<-0 skip_connect
	// 3<-1 nor_conv_3x3
	// 3<-2 nor_conv_3x3
	// 11668
	// space: arch string: token "nor_conv_3x3~2" at byte 33: input node "2", want 1 (edge 2<-1)
}

func ExampleArch_Key() {
	// A skip on 1<-0 followed by a conv on 2<-1 is the same network as the
	// conv placed on 2<-0 directly; edges into dead ends drop out.
	a, _ := space.Parse("|skip_connect~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|skip_connect~2|")
	b, _ := space.Parse("|avg_pool_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|skip_connect~2|")
	fmt.Println(a.Key())
	fmt.Println(b.Key())
	fmt.Println(a.Key() == b.Key())
	fmt.Println(len(space.UniqueArchs()), "of", space.NumArchs, "architectures are distinct")
	// Output:
	// #+#+#+(0)@nor_conv_3x3
	// #+#+#+(0)@nor_conv_3x3
	// true
	// 6466 of 15625 architectures are distinct
}

func ExampleLookup() {
	s, err := space.Lookup("nb201-small")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s, s.Nodes(), "nodes", s.Edges(), s.NumArchs(), "architectures,", s.NumUnique(), "distinct")
	a, _ := s.Parse("|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|")
	fmt.Println(s.Encode(a), s.Index(a), s.Key(a))
	// Output:
	// nb201-small 3 nodes [1<-0 2<-0 2<-1] 125 architectures, 60 distinct
	// [3 1 4] 84 ((0)@nor_conv_3x3)@avg_pool_3x3+0
}
