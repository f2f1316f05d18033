// demarche: the command-line client of demarched. Wires the global flags and
// the subcommands of each group (cmd_*.cc), then runs the chosen one.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/cli.h"

int main(int argc, char** argv) {
  using namespace demarche::cli;
  Cli cli;
  Globals& g = cli.globals;
  CLI::App app{"demarche: replay, branch and audit diplomatic history held by demarched",
               "demarche"};
  app.footer(
      "Exit codes: 0 ok, 1 other (verification failed, internal), 2 usage, 3 not found,\n"
      "4 refused (invalid argument, failed precondition, already exists, permission),\n"
      "5 server unreachable, unavailable or too slow.\n"
      "Run `demarche COMMAND --help` for a command's flags.");
  app.set_version_flag("--version", "demarche 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the subcommand, as in kubectl

  app.add_option("--server", g.server, "demarched address host:port")
      ->envname("DEMARCHE_SERVER")
      ->capture_default_str();
  app.add_option("--scenario", g.scenario, "Scenario to work on")
      ->envname("DEMARCHE_SCENARIO")
      ->capture_default_str();
  app.add_flag("--json", g.json,
               "Protobuf JSON instead of tables (one object per line for streams)");
  auto* timeout = app.add_option("--timeout", g.timeout,
                                 "Seconds per call; 0 = none (follow, import, export and verify "
                                 "take as long as they need unless given)")
                      ->capture_default_str()
                      ->check(CLI::NonNegativeNumber);
  app.add_option("--token", g.token, "Bearer token sent as `authorization: Bearer <token>`")
      ->envname("DEMARCHE_TOKEN");
  app.add_option("--ca-file", g.ca_file, "PEM CA certificates to verify the server (implies TLS)")
      ->envname("DEMARCHE_CA_FILE");
  app.add_flag("--tls", g.tls, "Use TLS with the system's CA certificates");

  AddReadCommands(app, cli);
  AddReplayCommands(app, cli);
  AddBranchCommands(app, cli);
  AddWriteCommands(app, cli);
  AddAuditCommands(app, cli);
  AddVerifyCommands(app, cli);
  AddBundleCommands(app, cli);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every other parse error is a usage error.
    return app.exit(e) == 0 ? kOk : kUsage;
  }
  g.timeout_given = timeout->count() > 0;
  try {
    return cli.action ? cli.action() : kUsage;
  } catch (const CliError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return e.code;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return kOther;
  }
}
