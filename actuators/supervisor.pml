/* supervisor.pml — a Promela model of the safety supervisor (supervisor.cpp), checked with spin
 * by check_model.sh (CTest: actuators_supervisor_model).
 *
 * What it proves, for every interleaving of commands (irrigate, stop_zone, stop_all,
 * safe_state), timer expiries (the clock tick, the hard max_runtime timers, retries), driver
 * behaviour (confirm, fail, switch by itself) and restarts:
 *   pump_ok     the pump is never commanded ON unless a valve on its line is confirmed open;
 *   runtime_ok  nothing stays commanded ON past its max_runtime;
 *   grant_ok    no run is granted more pumping time than the pump's max_runtime.
 *
 * How it corresponds to supervisor.cpp:
 *   cmd[i], pend[i], fault[i]   Act::commanded, Act::pending, Act::faulted
 *   mustclose[i]                Act::must_close
 *   ontime[i]                   now - Act::on_since while commanded (ticks)
 *   offtime[i]                  now - Act::off_since (ticks, saturating)
 *   runst[z], rt[z], stopat[z]    Run (ending = ENDING); rt = now - request time;
 *                               stopat = pump_stop_at - request time (pump_start_at is SD)
 *   plend                       LineState::pump_lease_end - now
 *   inline command()            Supervisor::command()
 *   inline reconcile()          Supervisor::reconcile(LineState&) and the run clean-up in
 *                               Supervisor::reconcile()
 *   event irrigate(z)           Supervisor::irrigate()
 *   event confirm/fail/changed  Supervisor::on_report() for each DriverReport::Kind
 *   event hard(i)               the hard timer armed in command() → Supervisor::on_hard_limit()
 *   event retry(i)              the retry timer of Supervisor::retry_off()
 *   event tick                  time passing; reconcile() after it stands for the wake timer
 *   event restart               a crash (state lost) and Supervisor::start() (safe_state)
 * Drivers are not modelled beyond their reports: a pending command may be confirmed or fail at
 * any moment (a superset of the confirm timeout), and an idle relay may report any state at any
 * time (a button, its own auto-off, a reboot). The model has one line: pump P, valves V1 (zone 0)
 * and V2 (zone 1). Time is in ticks of the delays below. Keep it in step with supervisor.cpp.
 */

#define P 0
#define V1 1
#define V2 2
#define N 3

#define SD 1      /* pump_start_delay */
#define CD 1      /* valve_close_delay */
#define CT 1      /* the pump's confirm_timeout, part of the valve's margin */
#define MAXP 3    /* pump max_runtime */
#define MAXV 6    /* valve max_runtime */
#define MINOFF 1  /* pump min_off */
#ifndef MAXOPEN
#define MAXOPEN 1 /* line max_open_valves */
#endif
/* Counters saturate just past the largest bound they are compared with, so that states that
 * differ only in "long ago" are one state. */
#define OFFSAT 2  /* > MINOFF, CD */
#define RTSAT (SD + DMAX + 1)

/* The most a run may be granted: min(pump max_runtime, valve max_runtime - delays - CT). */
#define DMAX (MAXV - SD - CD - CT < MAXP -> MAXV - SD - CD - CT : MAXP)

mtype = { NONE, ACTIVE, ENDING };

bool cmd[N];
bool pend[N];
bool fault[N];
bool mustclose[N];
byte ontime[N];
byte offtime[N];
mtype runst[2];
byte rt[2];
byte stopat[2];
byte plend;
bool stable;  /* true between events: the properties speak of these states */

#define MAXRT(i) (i == P -> MAXP : MAXV)
#define VALVE(z) (z + 1)
#define open(v) (cmd[v] && !pend[v])
#define wanted(z) (runst[z] == ACTIVE && !mustclose[VALVE(z)])

#define pump_ok (!cmd[P] || open(V1) || open(V2))
#define runtime_ok (!(cmd[P] && ontime[P] > MAXP) && !(cmd[V1] && ontime[V1] > MAXV) && \
                    !(cmd[V2] && ontime[V2] > MAXV))
#define grant_ok ((runst[0] == NONE || stopat[0] - SD <= MAXP) && \
                  (runst[1] == NONE || stopat[1] - SD <= MAXP))

ltl safety { [] (stable -> (pump_ok && runtime_ok && grant_ok)) }

/* Scratch for one event, always written before it is read: hidden keeps it out of the state. */
hidden byte z, i, d, lim, opened;
hidden byte pump_wanted, pump_off;

inline command(a, on) {
  cmd[a] = on;
  pend[a] = true;
  if
  :: on -> ontime[a] = 0
  :: else -> offtime[a] = 0; ontime[a] = 0; mustclose[a] = false;
     if
     :: a == P -> plend = 0
     :: else -> skip
     fi
  fi
}

inline end_run(zz) {
  if
  :: runst[zz] == ACTIVE -> runst[zz] = ENDING
  :: else -> skip
  fi
}

/* Supervisor::reconcile(LineState&): one step towards what the runs want, interlocks first. */
inline close_valve(zz, other) {
  if
  :: cmd[VALVE(zz)] && !wanted(zz) ->
     if
     :: mustclose[VALVE(zz)] || (open(VALVE(other)) && wanted(other)) -> command(VALVE(zz), false)
     :: else ->
        if
        :: pump_off && offtime[P] >= CD -> command(VALVE(zz), false)
        :: else -> skip
        fi
     fi
  :: else -> skip
  fi
}

inline reconcile() {
  z = 0;
  do
  :: z < 2 ->
     if
     :: runst[z] == ACTIVE && rt[z] >= stopat[z] -> runst[z] = ENDING
     :: else -> skip
     fi;
     z++
  :: else -> break
  od;
  pump_wanted = (wanted(0) && open(V1) && rt[0] >= SD) || (wanted(1) && open(V2) && rt[1] >= SD);
  if
  :: cmd[P] && !pump_wanted -> command(P, false)
  :: !cmd[P] && !pend[P] && !fault[P] && pump_wanted && offtime[P] >= MINOFF ->
     /* the lease: until the latest stop among the runs that want the pump, at most MAXP */
     plend = 0;
     if
     :: wanted(0) && open(V1) && rt[0] >= SD && stopat[0] - rt[0] > plend -> plend = stopat[0] - rt[0]
     :: else -> skip
     fi;
     if
     :: wanted(1) && open(V2) && rt[1] >= SD && stopat[1] - rt[1] > plend -> plend = stopat[1] - rt[1]
     :: else -> skip
     fi;
     if
     :: plend > MAXP -> plend = MAXP
     :: else -> skip
     fi;
     if
     :: plend > 0 -> command(P, true)
     :: else -> skip
     fi
  :: else -> skip
  fi;
  pump_off = !cmd[P] && !pend[P] && !fault[P];
  close_valve(0, 1);
  close_valve(1, 0);
  /* a run is over once its valve is off (confirmed or failed) */
  if
  :: runst[0] == ENDING && !cmd[V1] && !pend[V1] -> runst[0] = NONE; rt[0] = 0; stopat[0] = 0
  :: else -> skip
  fi;
  if
  :: runst[1] == ENDING && !cmd[V2] && !pend[V2] -> runst[1] = NONE; rt[1] = 0; stopat[1] = 0
  :: else -> skip
  fi
}

inline safe_state() {
  runst[0] = NONE;
  runst[1] = NONE;
  rt[0] = 0; rt[1] = 0; stopat[0] = 0; stopat[1] = 0;
  command(P, false);
  command(V1, false);
  command(V2, false)
}

inline settle() {
  reconcile();
  assert(pump_ok && runtime_ok && grant_ok);
  stable = true
}

/* Supervisor::irrigate(): every refusal is a guard that keeps the event from happening. */
inline irrigate(zz) {
  opened = (cmd[V1] || pend[V1]) + (cmd[V2] || pend[V2]);
  if
  :: runst[zz] == NONE && !fault[VALVE(zz)] && !fault[P] && !cmd[VALVE(zz)] && !pend[VALVE(zz)] &&
     !(pend[P] && !cmd[P]) && opened < MAXOPEN && (cmd[P] || offtime[P] >= MINOFF) ->
     lim = DMAX;
     if
     :: cmd[P] && plend < SD + 1 -> lim = 0          /* nothing left of the pump's lease */
     :: cmd[P] && plend >= SD + 1 && plend - SD < lim -> lim = plend - SD
     :: else -> skip
     fi;
     if
     :: lim >= 1 ->
        /* any granted duration from 1 to the limit (a request cut to what max_runtime allows) */
        d = 1;
        do
        :: d < lim -> d++
        :: break
        od;
        runst[zz] = ACTIVE;
        rt[zz] = 0;
        stopat[zz] = SD + d;
        command(VALVE(zz), true)
     :: else -> skip
     fi
  :: else -> skip
  fi
}

inline tick() {
  i = 0;
  do
  :: i < N ->
     if
     :: cmd[i] && ontime[i] <= MAXV -> ontime[i]++
     :: else -> skip
     fi;
     if
     :: offtime[i] < OFFSAT -> offtime[i]++
     :: else -> skip
     fi;
     i++
  :: else -> break
  od;
  if
  :: plend > 0 -> plend--
  :: else -> skip
  fi;
  z = 0;
  do
  :: z < 2 ->
     if
     :: runst[z] != NONE && rt[z] < RTSAT -> rt[z]++
     :: else -> skip
     fi;
     z++
  :: else -> break
  od
}

/* Supervisor::on_hard_limit() */
inline hard(a) {
  if
  :: a == P -> end_run(0); end_run(1); command(P, false)
  :: else ->
     end_run(a - 1);
     mustclose[a] = true;
     if
     :: !(open(3 - a)) && (cmd[P] || pend[P]) -> command(P, false)
     :: else -> skip
     fi;
     command(a, false)
  fi
}

/* Supervisor::on_report(), DriverReport::Kind::failed */
inline fail(a) {
  pend[a] = false;
  fault[a] = true;
  if
  :: cmd[a] ->
     if
     :: a == P -> end_run(0); end_run(1)
     :: else -> end_run(a - 1)
     fi;
     command(a, false)
  :: else -> skip  /* an OFF failed: the retry timer asks again */
  fi
}

/* DriverReport::Kind::changed: a state nobody asked for */
inline changed(a, on) {
  if
  :: on && !cmd[a] -> command(a, false)
  :: !on && cmd[a] ->
     cmd[a] = false;
     offtime[a] = 0;
     ontime[a] = 0;
     if
     :: a == P -> plend = 0
     :: else -> skip
     fi;
     if
     :: a == P -> end_run(0); end_run(1)
     :: else -> end_run(a - 1)
     fi
  :: else -> skip
  fi
}

/* No hard timer is overdue: timers fire at their instant, before time moves on. */
#define no_timer_due (!(cmd[0] && ontime[0] >= MAXRT(0)) && !(cmd[1] && ontime[1] >= MAXRT(1)) && \
                      !(cmd[2] && ontime[2] >= MAXRT(2)))

active proctype supervisor() {
  byte a;
  atomic { safe_state(); settle() }  /* Supervisor::start() */
  do
  :: atomic { stable = false; irrigate(0); settle() }
  :: atomic { stable = false; irrigate(1); settle() }
  :: atomic { stable = false; end_run(0); settle() }  /* stop_zone(z1) */
  :: atomic { stable = false; end_run(1); settle() }  /* stop_zone(z2) */
  :: atomic { stable = false; end_run(0); end_run(1); settle() }  /* stop_all */
  :: atomic { stable = false; safe_state(); settle() }
  :: atomic { no_timer_due -> stable = false; tick(); settle() }
  :: atomic {
       select(a : 0 .. 2);
       if
       :: cmd[a] && ontime[a] >= MAXRT(a) -> stable = false; hard(a); settle()
       :: pend[a] -> stable = false;  /* confirmed */
          pend[a] = false;
          if
          :: !cmd[a] -> offtime[a] = 0; fault[a] = false
          :: else -> skip
          fi;
          settle()
       :: pend[a] -> stable = false; fail(a); settle()
       :: fault[a] && !cmd[a] && !pend[a] -> stable = false; command(a, false); settle()  /* retry */
       :: !pend[a] -> stable = false; changed(a, true); settle()
       :: !pend[a] -> stable = false; changed(a, false); settle()
       :: else -> skip
       fi
     }
  :: atomic {  /* a crash loses every variable; the next start() drives all off */
       stable = false;
       i = 0;
       do
       :: i < N -> fault[i] = false; mustclose[i] = false; offtime[i] = 0; ontime[i] = 0; i++
       :: else -> break
       od;
       plend = 0;
       safe_state();
       settle()
     }
  od
}
