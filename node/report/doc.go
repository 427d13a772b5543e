// Package report counts anonymised report records (o211.Report) and serves
// the needs reports planners use: needs and contacts by any dimension, unmet
// needs by reason with the unmet rate, the top needs, emerging needs and
// service gaps, as JSON or CSV under /api/v1/reports. The node serves its
// own region's reports; the provincial hub, the province's.
//
// # Cells
//
// Cells turns a report into cells: one contact cell (Code "") and one cell
// per need under the need's service term. A combined code such as
// "BH-8600.6500*YS-5000.5000" counts under "BH-8600.6500"; the target
// population qualifies the need but is not a need of its own.
//
// # The cube
//
// A Cube holds aggregated cells in memory, built for scans that filter and
// group a year in a few milliseconds:
//
//   - Rows are partitioned by calendar month; each partition keeps contact
//     cells and need cells in separate tables, so a needs report never reads
//     contacts and a period reads only the months it touches.
//   - A table is a set of columns, one slice per dimension: the day as its
//     offset in the month (uint8), region, FSA, reason, channel, age band
//     and language as 16-bit dictionary ids, taxonomy code and emergency tag
//     as 32-bit ids, met as a byte, and the count (int64). Strings are
//     interned once per cube; id 0 is "" in every dictionary.
//   - Equal cells are aggregated into one row through an open-addressing
//     hash index per table (row numbers in a []uint32, linear probing), so
//     repeated combinations cost a counter, not a row.
//   - Each taxonomy code is interned with its ancestors and mapped once to
//     the id of its ancestor at every level ("BD-1800.2000" to B, BD,
//     BD-1800, BD-1800.2000). A scan groups by a level through a lookup
//     table from code id to slot, and a taxonomy filter becomes a mask over
//     code ids true for every descendant of the codes asked for, so every
//     level rolls up exactly (a need counts under each ancestor of its
//     code). A need coded above the level asked for (a plain "BD" at level
//     3) counts under its own code, so that totals stay whole.
//   - A scan selects row numbers through the month's day range, narrows
//     them column by column through the filter masks (one tight loop per
//     filter), folds each grouped dimension's slot into an integer key, and
//     adds the counts into a dense array (or a map when the group space is
//     very large). Time dimensions (day, week from Monday, month, weekday)
//     are slots computed once per partition for its 31 day offsets.
//
// Adds take the cube's write lock, scans its read lock. Reset empties the
// cube (the hub rebuilds it after restoring a Raft snapshot). A year of a
// six-region province (500,000 contacts, 1.1 million needs) takes about
// 63 MB; BenchmarkYearReport measures the reports over it.
//
// # Reports
//
// Each report is a function of a cube and a typed query that returns a
// table: Needs (NeedsQuery), Unmet (UnmetQuery), Top (TopQuery), Emerging
// (EmergingQuery) and Gaps (GapsQuery). Every query embeds Query: the
// period as day numbers, the Filters, the language of names and Exact.
// Routes serves them over HTTP: its handlers only read the parameters
// (with node/params, the reader the search API uses too), call the
// function and encode its answer.
//
// Every report takes the period (from, to: YYYY-MM-DD, inclusive; default
// the twelve months ending today in Toronto), filters on every dimension
// (region, fsa, taxonomy with descendants, met, reason, channel, age_band,
// language, emergency; comma-separated values are alternatives; "unknown"
// stands for an empty FSA, age band or language, "none" for no emergency),
// format (json, csv, or Accept: text/csv), lang (en or fr, for names) and
// suppress. Responses carry the scope, period, filters applied, the time
// they were made and how many counts were suppressed. Bad parameters are
// answered 400 with an application/problem+json body naming the parameter;
// unknown parameters are refused rather than ignored.
//
// # Suppression
//
// A published count from 1 to 9 is suppressed: in JSON its value is null
// with "suppressed": true, in CSV it is written "x" (the Statistics Canada
// symbol), and rates and other figures derived from it are null (JSON) or
// "x" (CSV). Then enough other counts are suppressed that none of them can
// be worked out exactly from the totals published with it.
//
// The published entries of a table (cells, row totals, column totals, the
// grand total) obey linear equations: each total is the sum of what it
// totals. Each entry lies in at most two of them, so the suppressed entries
// form a graph whose nodes are the equations (and a ground node for entries
// in one equation only) and whose edges are the suppressed entries. A
// suppressed entry's value follows exactly from the published ones if and
// only if its edge is a bridge of that graph. The method repeats, until
// nothing changes:
//
//   - an equation (a row or column with its total, the totals with the
//     grand total, a list with its total) holding exactly one suppressed
//     entry gets a second: the smallest non-zero cell in it, else its total
//     when not zero, else a zero cell. Zeros come last because a zero may be
//     structural (an FSA outside the region), known to every reader, and
//     suppressing it hides nothing;
//   - a suppressed entry that is still a bridge (chains of suppressions
//     that meet only through it) gets a cycle: the smallest entry joining
//     the two sides the bridge separates is suppressed too.
//
// Small totals are suppressed like cells, and a suppressed total is
// protected the same way: its equation then holds a second suppressed
// entry. The tests check random tables with exact rational arithmetic:
// the unit vector of each suppressed entry lies outside the row space of
// the equations restricted to the suppressed entries.
//
// Where a report shows two counts whose difference is a third that it does
// not show (needs and unmet needs give met needs), that third is part of the
// table: the top report and the gaps report suppress over [met, unmet] with
// their totals; the unmet report publishes unmet needs by reason with their
// totals and all needs as a separate list, and suppresses a row's needs
// when needs minus unmet would be from 1 to 9.
//
// Suppression protects each table against exact recovery from its own
// totals. It does not bound how closely a value can be estimated knowing
// that counts are not negative, nor prevent differencing two reports asked
// with different filters or periods.
//
// Config.AllowUnsuppressed lets a request ask for suppress=false: for a
// node's own managers, who may see their region's contacts anyway. The hub
// publishes figures and leaves it false; suppress=false is then refused
// with 403.
//
// # The reports
//
//   - needs: by one or two of day, week, month, weekday, region, fsa,
//     taxonomy (at level, default 2; by=category is taxonomy at level 1),
//     met, reason, channel, age_band, language, emergency; measure=needs
//     (default) or contacts (which cannot use taxonomy, met or reason: a
//     contact may have several needs). Row, column and grand totals.
//   - unmet: unmet needs by reason for each value of one dimension (by,
//     default region), with all needs and the unmet rate.
//   - top: the n (default 10) most frequent needs at a level (default 3),
//     with count, share, unmet and unmet rate; then all other needs
//     together, and the total.
//   - emerging: this week (the last seven complete days, or week=start)
//     against the baseline weeks before it (default 8), per code at a level
//     (default 3): the exact conditional binomial test of the week's count
//     against the baseline's with all needs in each period as exposure, so
//     that a rise of all calls flags nothing; Benjamini-Hochberg q-values;
//     flagged when q < alpha (0.05), the count is at least min_count (10)
//     and above the expected count.
//   - gaps: FSAs where a need at a level (default 3) is often unmet
//     (min_unmet, default 10; min_rate, default 0.2) and at most
//     max_services (default 2) services of that kind lie within radius_km
//     (default 10) of the FSA's centroid, counted by Config.Services;
//     ranked by unmet × unmet rate ÷ (1 + services). Without Services the
//     report answers 501.
package report
