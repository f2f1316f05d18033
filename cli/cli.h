// Shared pieces of the demarche CLI: global flags, exit codes, and the hooks
// each command group uses to register its subcommands.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

namespace CLI {
class App;
}

namespace demarche::cli {

// Exit codes, stable for scripts (also listed in `demarche --help`).
enum Exit : int {
  kOk = 0,
  kOther = 1,        // anything else (internal error, verification failed)
  kUsage = 2,        // bad flag or argument syntax (CLI11)
  kNotFound = 3,     // no such scenario, branch or event
  kRefused = 4,      // invalid argument, failed precondition, already exists
  kUnavailable = 5,  // server unreachable, unavailable or too slow (deadline)
};

struct Globals {
  std::string server = "127.0.0.1:50051";
  std::string scenario = "six-party-talks";
  bool json = false;
  double timeout = 30;         // seconds per call; 0 = none
  bool timeout_given = false;  // open-ended streams get a deadline only if asked
  std::string token;           // bearer token sent as "authorization" metadata
  std::string ca_file;         // PEM roots; implies TLS
  bool tls = false;            // TLS with the system roots
};

// A local failure (bad date, unreadable file, bad JSON): message and exit code.
struct CliError : std::runtime_error {
  CliError(int code, const std::string& what) : std::runtime_error(what), code(code) {}
  int code;
};

struct Cli {
  Globals globals;
  std::function<int()> action;  // set by the chosen subcommand's callback
};

// Each command group adds its subcommands to `app`; the chosen one sets
// cli.action, which main() runs after parsing.
void AddReadCommands(CLI::App& app, Cli& cli);    // scenarios, log, show, export, subscribe
void AddReplayCommands(CLI::App& app, Cli& cli);  // state, timeline, diff
void AddBranchCommands(CLI::App& app, Cli& cli);  // branch create/list/compare
void AddWriteCommands(CLI::App& app, Cli& cli);   // append, import
void AddAuditCommands(CLI::App& app, Cli& cli);   // audit, status
void AddVerifyCommands(CLI::App& app, Cli& cli);  // verify, trust
void AddBundleCommands(CLI::App& app, Cli& cli);  // verify-bundle

// export --bundle (cmd_bundle.cc): the audit bundle of `branch` and its
// ancestors (every branch when empty) written to `path`.
int RunExportBundle(const Globals& g, const std::string& branch, const std::string& path,
                    const std::string& trust_dir);
// --trust-dir (env DEMARCHE_TRUST_DIR): pinned keys and seen checkpoints.
void AddTrustDirOption(CLI::App* command, std::string* dir);

}  // namespace demarche::cli
