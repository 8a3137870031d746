#include "gateway/export_cmd.h"

#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>

#include "gateway/ocop/export.h"
#include "gateway/ocop/ledger.h"
#include "gateway/ocop/service.h"
#include "gateway/store/schema.h"
#include "gateway/store/sqlite.h"
#include "rules/site_time.h"

namespace farmgate::gateway {
namespace {

constexpr const char* kUsage =
    "usage: farmgate export readings|irrigation|lots|diary|season --config FILE [--from T]\n"
    "                       [--to T] [--zone Z] [--lot L] [--format csv|json] [--lang vi|en]\n"
    "  T: 2026-06-01, 2026-06-01T06:00 (site time), ...Z, +07:00 offsets, or epoch ms;\n"
    "  without --from the export starts at the first record, without --to it ends now\n";

int usage(std::ostream& err, const std::string& problem) {
  err << "farmgate: export: " << problem << "\n" << kUsage;
  return 2;
}

struct Args {
  std::string kind, from, to, zone, lot, format = "csv", lang = "vi";
};

// The parsed words, or nullopt after the usage went to `err`.
std::optional<Args> parse_args(const std::vector<std::string>& args, std::ostream& err) {
  if (args.empty() || args[0].starts_with("-")) {
    usage(err, "which export? name one of readings, irrigation, lots, diary, season");
    return std::nullopt;
  }
  Args a;
  a.kind = args[0];
  const std::pair<std::string_view, std::string*> flags[] = {
      {"--from", &a.from}, {"--to", &a.to},         {"--zone", &a.zone},
      {"--lot", &a.lot},   {"--format", &a.format}, {"--lang", &a.lang}};
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& word = args[i];
    std::string* target = nullptr;
    std::optional<std::string> value;
    for (const auto& [name, field] : flags) {
      if (word == name) {
        target = field;
        if (i + 1 < args.size()) value = args[++i];
        break;
      }
      if (word.size() > name.size() && word.starts_with(name) && word[name.size()] == '=') {
        target = field;
        value = word.substr(name.size() + 1);
        break;
      }
    }
    if (target == nullptr) {
      usage(err, "unknown argument '" + word + "'");
      return std::nullopt;
    }
    if (!value) {
      usage(err, word + " needs a value");
      return std::nullopt;
    }
    *target = *value;
  }
  return a;
}

}  // namespace

int run_export_command(const std::vector<std::string>& args, const config::Config& config,
                       std::ostream& out, std::ostream& err, const Clock& clock) {
  const auto a = parse_args(args, err);
  if (!a) return 2;
  ocop::ExportQuery q;
  const auto kind = ocop::parse_export_kind(a->kind);
  if (!kind) return usage(err, "unknown export '" + a->kind + "'");
  q.kind = *kind;
  if (a->format == "csv") {
    q.format = ocop::Format::csv;
  } else if (a->format == "json") {
    q.format = ocop::Format::json;
  } else {
    return usage(err, "--format is csv or json, not '" + a->format + "'");
  }
  if (a->lang == "vi") {
    q.lang = ocop::Lang::vi;
  } else if (a->lang == "en") {
    q.lang = ocop::Lang::en;
  } else {
    return usage(err, "--lang is vi or en, not '" + a->lang + "'");
  }
  if (!a->lot.empty() && q.kind != ocop::ExportKind::diary) {
    return usage(err, "--lot narrows the diary export only");
  }
  q.zone = a->zone;
  q.lot = a->lot;

  auto site = rules::SiteTime::load(config.timezone);
  if (!site) {
    err << "farmgate: export: timezone '" << config.timezone << "': " << site.error().message
        << "\n";
    return 1;
  }
  q.from_ms = 0;
  q.to_ms = to_epoch_ms(clock.now());
  if (!a->from.empty()) {
    auto t = rules::parse_time_arg(a->from, *site);
    if (!t) return usage(err, "--from " + t.error().message);
    q.from_ms = to_epoch_ms(*t);
  }
  if (!a->to.empty()) {
    auto t = rules::parse_time_arg(a->to, *site);
    if (!t) return usage(err, "--to " + t.error().message);
    q.to_ms = to_epoch_ms(*t);
  }
  if (q.to_ms <= q.from_ms) return usage(err, "--to must be after --from");

  // Opening read-only never creates the file: a mistyped data_dir is an error, not an empty
  // store with an empty export.
  std::error_code ec;
  if (!std::filesystem::exists(config.store.path, ec)) {
    err << "farmgate: export: no database at " << config.store.path
        << " (has the gateway run with this config?)\n";
    return 1;
  }
  auto db = sqlite::Db::open(config.store.path, /*read_only=*/true);
  if (!db) {
    err << "farmgate: export: " << config.store.path << ": " << db.error().message << "\n";
    return 1;
  }
  {
    auto st = sqlite::Stmt::prepare(*db, "PRAGMA user_version");
    auto row = st ? st->step() : Result<bool>(st.error());
    if (!row) {
      err << "farmgate: export: " << config.store.path << ": " << row.error().message << "\n";
      return 1;
    }
    const auto version = *row ? st->int64(0) : 0;
    if (version < store::kSchemaVersion) {
      err << "farmgate: export: " << config.store.path << " has store schema version " << version
          << "; exports need " << store::kSchemaVersion
          << " (start the gateway once to migrate it)\n";
      return 1;
    }
  }

  ocop::Ledger ledger(*db, *site, ocop::ledger_options(config));
  auto result = ocop::run_export(ledger, q);
  if (!result) {
    const Error& e = result.error();
    err << "farmgate: export: " << e.message << "\n";
    // Too many rows or a bad range: the command line is what to change.
    return e.code == "too_large" || e.code == "bad_input" ? 2 : 1;
  }
  out << result->body;
  out.flush();
  return out ? 0 : 1;
}

}  // namespace farmgate::gateway
