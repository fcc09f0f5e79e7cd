// comind-kustomize-worker: `kustomize build` for many folders in one long-lived process.
//
// Each line read from stdin is a kustomization folder. For each, the worker runs the build exactly as
// `kustomize build FOLDER` does (kustomize's own command code supplies the default options) and answers
// on stdout with one header line and a payload:
//
//	ok <bytes>\n<a JSON array of the built objects>
//	error <bytes>\n<kustomize's error, as `kustomize build` prints it>
//
// The JSON is what kustomize marshals each object to before it prints it as YAML. A build that sets an
// `openapi` schema changes kustomize's process-wide schema, so the worker answers it and then exits: the
// next folder is built by a fresh process, as every `kustomize build` is.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kustomize/v5/commands/build"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"
)

func options() (*krusty.Options, error) {
	cmd := build.NewCmdBuild(filesys.MakeFsOnDisk(), build.MakeHelp("kustomize", "build"), io.Discard)
	if err := cmd.ParseFlags(nil); err != nil {
		return nil, err
	}
	return build.HonorKustomizeFlags(krusty.MakeDefaultOptions(), cmd.Flags()), nil
}

func render(opts *krusty.Options, folder string) ([]byte, error) {
	objects, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), folder)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteByte('[')
	for i, object := range objects.Resources() {
		data, err := object.MarshalJSON()
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(data)
	}
	out.WriteByte(']')
	return out.Bytes(), nil
}

func main() {
	opts, err := options()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	schema := openapi.GetSchemaVersion() // kustomize's built-in one
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64*1024), 1024*1024)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		data, err := render(opts, in.Text())
		if err != nil {
			message := []byte("Error: " + err.Error() + "\n")
			fmt.Fprintf(out, "error %d\n", len(message))
			out.Write(message)
		} else {
			fmt.Fprintf(out, "ok %d\n", len(data))
			out.Write(data)
		}
		if err := out.Flush(); err != nil {
			os.Exit(1)
		}
		if openapi.GetSchemaVersion() != schema {
			return
		}
	}
}
