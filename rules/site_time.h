// SiteTime: local civil time in a site's IANA time zone, read from the compiled zone file (TZif,
// RFC 8536) without touching process state: no setenv("TZ"), no localtime(). libstdc++ 12 has no
// std::chrono time zone database, so this is how rules and schedules learn "06:00 in Can Tho".
//
// A loaded SiteTime is immutable: every method is const and may be called from any thread.
// Only load() does I/O; call it at start-up or config reload, never from the event loop's hot path.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace farmgate::rules {

// A civil date and time in the site's zone, as a person there reads it off a wall clock.
struct LocalTime {
  int year = 1970;
  int month = 1;           // 1..12
  int day = 1;             // 1..31
  int hour = 0;            // 0..23
  int minute = 0;          // 0..59
  int second = 0;          // 0..59
  int weekday = 4;         // 0 = Sunday .. 6 = Saturday (1970-01-01 was a Thursday)
  int day_of_year = 1;     // 1..366, the J of FAO-56 and of the sun calculations
  int minutes_of_day = 0;  // hour * 60 + minute, for "between 05:30 and 07:00" conditions

  bool operator==(const LocalTime&) const = default;
};

class SiteTime {
 public:
  // Reads <zoneinfo_dir>/<zone>. Errors: "bad_timezone" (name unusable or no such zone),
  // "bad_tzif" (the file is not a usable TZif v2+ file; the message says why).
  static Result<SiteTime> load(std::string_view zone,
                               const std::string& zoneinfo_dir = "/usr/share/zoneinfo");
  // Parses TZif bytes already in memory; `zone` only names it in messages. Never reads past
  // `bytes`, whatever they hold.
  static Result<SiteTime> parse(std::string_view zone, std::string_view bytes);

  const std::string& zone() const { return zone_; }

  // Local time minus UTC at instant t (+07:00 for Asia/Ho_Chi_Minh today).
  std::chrono::seconds utc_offset(Timestamp t) const;

  LocalTime to_local(Timestamp t) const;

  // The first instant of the local calendar day that contains t. Usually local 00:00; where a
  // zone skips midnight (a DST change at 00:00) it is the first local time that exists that day.
  Timestamp local_midnight(Timestamp t) const;

  // The instant a local wall-clock time names. Resolution, so that a schedule fires exactly
  // once per day:
  //  - a time skipped by a forward change (02:30 on a spring-forward night in Berlin) is read
  //    with the offset in force before the change, i.e. it lands as far after the change as it
  //    was meant after the gap's start (02:30 CET → 03:30 CEST);
  //  - a time that occurs twice (02:30 on the autumn night) is the first occurrence.
  // Errors ("bad_local_time") only for fields out of range (month 13, 30 February, hour 24).
  Result<Timestamp> from_local(int year, int month, int day, int hour, int minute) const;

 private:
  // One rule of a POSIX TZ string: the day and local time a DST period starts or ends.
  struct PosixRule {
    enum class Kind { kJulianNoLeap, kZeroBasedDay, kMonthWeekDay } kind = Kind::kMonthWeekDay;
    int day = 0;               // Jn: 1..365; n: 0..365; M: weekday 0..6
    int month = 0;             // M only
    int week = 0;              // M only, 1..5 (5 = last)
    std::int64_t time = 7200;  // seconds after local midnight, may be negative or > 24 h
  };
  // The zone's behaviour after its last transition, from the footer of the TZif file.
  struct PosixTz {
    std::int64_t std_offset = 0;  // seconds east of UTC (the sign flipped from the POSIX text)
    bool has_dst = false;
    std::int64_t dst_offset = 0;
    PosixRule start;
    PosixRule end;
  };

  SiteTime() = default;
  static Result<PosixTz> parse_posix(std::string_view text);
  // Local seconds since the epoch at which `rule` fires in `year`.
  static std::int64_t rule_local_seconds(const PosixRule& rule, std::int64_t year);
  std::int64_t offset_at(std::int64_t utc_seconds) const;
  std::int64_t posix_offset_at(std::int64_t utc_seconds) const;

  std::string zone_;
  std::vector<std::int64_t> transitions_;         // UTC seconds, ascending
  std::vector<std::int64_t> transition_offsets_;  // offset in force from transitions_[i] on
  std::int64_t initial_offset_ = 0;               // before the first transition (type 0)
  bool has_footer_rule_ = false;
  PosixTz footer_;
};

// A time given by a person (--from/--to of replay and export, an API query): epoch milliseconds (all digits), or ISO 8601 `YYYY-MM-DD`,
// `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (a space instead of the T is fine), read in the
// site's time zone unless it ends in `Z` or an offset (`+07:00`, `-0330`). A date alone is its
// local midnight. Errors ("bad_time") name what was wrong.
Result<Timestamp> parse_time_arg(std::string_view text, const SiteTime& site);

}  // namespace farmgate::rules
