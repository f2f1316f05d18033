// Synthetic generator of realistic diplomatic event streams for benchmarks.
//
// The mix of move types, the number of actors and recipients, the lengths of
// summaries and source quotes and the precision of dates follow a Mix: either
// DefaultMix() (a documented mix modelled on the Six Party Talks record) or
// one measured from a JSON Lines record with CalibrateMix(). Output is a pure
// function of the options: same seed, same events, on every machine (own PRNG,
// no std:: distributions).
//
// References resolve: a response names an earlier proposal or demand of the
// same generator (answered by one of its recipients), a delivery names an
// earlier pledge, a correction an earlier event. Give each generator feeding
// one branch lineage its own id_prefix so ids stay unique.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "demarche/v1/event.pb.h"
#include "demarche/v1/scenario.pb.h"

namespace demarche::bench {

// The Move oneof cases, in field order.
enum class MoveKind {
  kStatement,
  kDemand,
  kProposal,
  kResponse,
  kAgreement,
  kConsult,
  kAid,
  kConcede,
  kSanction,
  kForum,
  kConflict,
  kCorrection,
};
inline constexpr int kMoveKinds = 12;
// "statement", "demand", ... (the oneof field names).
const char* MoveKindName(MoveKind kind);

struct Mix {
  // Relative frequency of each move kind (need not sum to 1).
  std::array<double, kMoveKinds> weight{};
  double summary_words = 14;       // mean words in the one-line summary
  double quote_words = 32;         // mean words in a source quote
  double mean_sources = 1.1;       // sources per event (1 or 2)
  double p_second_actor = 0.12;    // probability of a second actor
  double p_no_recipient = 0.15;    // public statement with no recipient
  double mean_recipients = 1.6;    // when there are recipients
  double p_day = 0.55;             // date precision: day ...
  double p_month = 0.30;           // ... month (the rest: year only)
  double p_span = 0.08;            // has an occurred_end (a round of talks)
  double mean_terms = 1.8;         // terms per proposal, demand, agreement
  std::string origin = "default";  // "default" or the calibration file
  uint64_t calibrated_events = 0;  // events read when calibrated
  // Serialized client content of the calibration record, per event. The
  // calibration scales summary and quote lengths until generated events have
  // this mean size.
  double mean_event_bytes = 0;
};

// The documented default mix (see generator.cc for the figures and why).
Mix DefaultMix();
// Measures the mix of a JSON Lines file of v1::Event (protobuf JSON mapping).
// Lines that are not events are skipped; NOT_FOUND if the file is missing,
// INVALID_ARGUMENT if it holds no event.
absl::StatusOr<Mix> CalibrateMix(const std::string& jsonl_path);
// One-line description: "statement 22%, demand 10%, ...; summary 14 words ...".
std::string DescribeMix(const Mix& mix);

struct GeneratorOptions {
  uint64_t seed = 1;
  int parties = 6;  // roster size; the six parties first, then P07, P08, ...
  // Events the stream is expected to hold: sets the pace at which the
  // occurred date advances from start_year to end_year.
  uint64_t events = 1000;
  // Fraction of events whose occurred date lies before the running date
  // (backdated: recorded late, sorting before events recorded earlier).
  double backdate_fraction = 0.05;
  int start_year = 1950;
  int end_year = 2004;
  std::string id_prefix = "e";
  // Mark events hypothetical (counterfactual branches) instead of historical.
  bool hypothetical = false;
  Mix mix = DefaultMix();
};

class Generator {
 public:
  explicit Generator(GeneratorOptions options);

  // A scenario named `name` with the configured roster.
  v1::Scenario MakeScenario(const std::string& name) const;
  // The next event (client content only; no envelope).
  v1::Event Next();
  std::vector<v1::Event> NextBatch(size_t n);

  uint64_t produced() const { return produced_; }
  const GeneratorOptions& options() const { return options_; }
  // Party codes of the roster, in roster order.
  const std::vector<std::string>& parties() const { return codes_; }

 private:
  struct Ref {
    uint64_t index;  // event number (its id is MakeId(index))
    int actor;
    int recipient;  // -1 = none
  };
  uint64_t Rand();
  double Uniform();            // [0, 1)
  uint64_t Below(uint64_t n);  // [0, n)
  int Count(double mean);      // >= 1, about `mean`
  MoveKind PickKind();
  std::string MakeId(uint64_t index) const;
  std::string Words(double mean);
  const std::string& Pick(const std::vector<std::string>& from);
  void SetDate(v1::Event& e);
  void FillTerm(v1::Term* t, int giver, int receiver);
  void FillMove(MoveKind kind, v1::Event& e, int actor, int recipient);
  void FillPlainMove(MoveKind kind, v1::Move* m, int actor, int recipient);

  GeneratorOptions options_;
  std::vector<std::string> codes_;
  std::array<double, kMoveKinds> cumulative_{};
  uint64_t state_;
  uint64_t produced_ = 0;
  int64_t first_day_;
  int64_t last_day_;
  std::vector<Ref> open_offers_;   // proposals and demands, for responses
  std::vector<uint64_t> pledges_;  // aid pledges, for deliveries
};

}  // namespace demarche::bench
