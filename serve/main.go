// Command serve is the native side of the project: the web server behind
// the page and the command line for training, ranking and exporting.
//
//	go run ./serve [command] [flags]
//
// Run `go run ./serve help` for the commands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

type command struct {
	name, summary string
	run           func(args []string) error
}

func commands() []command {
	return []command{
		{"web", "serve the page on 127.0.0.1 (the default command)", webCmd},
		{"train", "train a supernet and rank architectures (events as JSON lines)", trainCmd},
		{"rank", "rank architectures with saved supernet weights", rankCmd},
		{"export", "write supernet weights and a PyTorch parity probe as .npz", exportCmd},
		{"verify", "reload an .npz export and recompute its probe in Go", verifyCmd},
		{"dataset", "rebuild the embedded default dataset (dataset build)", datasetCmd},
		{"groundtruth", "build the stand-alone ground-truth table (groundtruth build|report)", groundtruthCmd},
		{"store", "check the native server's run store (store check [-store FILE])", storeCmd},
		{"sweep", "run a grid of runs (samplers x seeds x spaces x overrides) on the queue's workers", sweepCmd},
		{"nats", "run only the job queue (NATS JetStream) that web embeds", natsCmd},
		{"worker", "take jobs from a NATS JetStream queue (sweep runs, ground-truth runs)", workerCmd},
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: go run ./serve <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(os.Stderr, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun `go run ./serve <command> -h` for a command's flags.")
}

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help") {
		usage()
		return
	}
	args := os.Args[1:]
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		// No command (or only flags): serve the page.
		args = append([]string{"web"}, args...)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			if err := c.run(args[1:]); err != nil {
				if errors.Is(err, flag.ErrHelp) {
					return
				}
				fmt.Fprintf(os.Stderr, "serve %s: %v\n", c.name, err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "serve: unknown command %q\n\n", args[0])
	usage()
	os.Exit(2)
}
