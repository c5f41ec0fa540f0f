// Command pulumi-language-nodejs is a small Node.js language host for the real Pulumi CLI.
//
// Why this exists: upstream's host lives in its own Go module (sdk/nodejs/cmd/pulumi-language-nodejs)
// and the Go module proxy this project can reach does not serve any version of it. The CLI, the
// engine, the state backend and the Node SDK are all upstream's; this file only does the host's
// one essential job: start `@pulumi/pulumi/cmd/run` (from the program's own node_modules) with the
// flags and environment that script reads, and report how it exited.
//
// scripts/build-engine.sh compiles it inside a copy of the sdk/v3 module (same version as the
// CLI), so it needs no go.mod or go.sum of its own. Not supported on purpose: `pulumi new`
// templating, `pulumi install`, policy packs, plugin packing and code generation; their RPCs
// answer Unimplemented, which the engine treats as "not offered".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is set by the build script to the @pulumi/pulumi version it was built against.
var version = "0.0.0-dev"

// exitBail is the run script's code for "the error was already reported to the user".
const exitBail = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu     sync.Mutex
	engine string // engine gRPC address, from argv or Handshake
}

func main() {
	h := &host{}
	// The engine passes its address as the first positional argument; it may add flags
	// (tracing, logging) that this host does not use, so unknown flags are skipped.
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			h.engine = a
			break
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(s, h)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start gRPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.engine = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// GetRequiredPlugins and GetRequiredPackages answer "nothing to pre-install": this project runs
// with every plugin ambient on PATH and plugin downloads disabled, and the engine still loads a
// provider on demand when the program registers its first resource.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := req.GetPwd()
	entry := req.GetProgram()
	if info != nil {
		programDir = info.GetProgramDirectory()
		entry = info.GetEntryPoint()
	}
	if entry == "" {
		entry = "."
	}
	runScript, err := findRunScript(programDir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	opts := options(info)
	args := []string{}
	if nodeArgs := opts["nodeargs"]; nodeArgs != "" {
		args = append(args, strings.Fields(nodeArgs)...)
	}
	args = append(args, runScript, "--monitor", req.GetMonitorAddress(), "--pwd", programDir)
	h.mu.Lock()
	if h.engine != "" {
		args = append(args, "--engine", h.engine)
	}
	h.mu.Unlock()
	for flag, value := range map[string]string{
		"--project":        req.GetProject(),
		"--stack":          req.GetStack(),
		"--organization":   req.GetOrganization(),
		"--root-directory": info.GetRootDirectory(),
	} {
		if value != "" {
			args = append(args, flag, value)
		}
	}
	if req.GetParallel() > 0 {
		args = append(args, "--parallel", strconv.Itoa(int(req.GetParallel())))
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	env, err := runEnv(req, opts)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = programDir
	cmd.Env = env
	// The engine forwards a plugin's stdout/stderr to the user as program output.
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitBail {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not start node: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// runEnv passes config the way @pulumi/pulumi's runtime reads it (PULUMI_CONFIG and
// PULUMI_CONFIG_SECRET_KEYS, both JSON) plus the TypeScript switches from Pulumi.yaml's
// runtime options (typescript defaults to true, as upstream's host does).
func runEnv(req *pulumirpc.RunRequest, opts map[string]string) ([]string, error) {
	env := os.Environ()
	config := req.GetConfig()
	if config == nil {
		config = map[string]string{} // the runtime calls Object.keys on it: null would throw
	}
	cfg, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	env = append(env, "PULUMI_CONFIG="+string(cfg))
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	keys, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env = append(env, "PULUMI_CONFIG_SECRET_KEYS="+string(keys))
	typescript := opts["typescript"] != "false"
	env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(typescript))
	if ts := opts["tsconfig"]; ts != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+ts)
	}
	return env, nil
}

// options flattens Pulumi.yaml's runtime.options to strings.
func options(info *pulumirpc.ProgramInfo) map[string]string {
	out := map[string]string{}
	for k, v := range info.GetOptions().GetFields() {
		switch x := v.GetKind().(type) {
		case *structpb.Value_StringValue:
			out[k] = x.StringValue
		case *structpb.Value_BoolValue:
			out[k] = strconv.FormatBool(x.BoolValue)
		case *structpb.Value_NumberValue:
			out[k] = strconv.FormatFloat(x.NumberValue, 'f', -1, 64)
		}
	}
	return out
}

// findRunScript walks up from the program directory to the nearest node_modules that holds
// @pulumi/pulumi, so the program always runs with the SDK version it installed.
func findRunScript(dir string) (string, error) {
	start, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := start; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", "run")
		if _, err := os.Stat(filepath.Join(candidate, "index.js")); err == nil {
			return candidate, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("no node_modules/@pulumi/pulumi found above %s: run `npm install` first", start)
}
