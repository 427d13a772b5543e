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
// # Protection: cell-key perturbation
//
// A report tool that answers any query cannot be protected by small-cell
// suppression alone: suppression protects one table against its own
// totals, but two answers differenced ("en and oj" against "en", a period
// against one a day shorter, a region against the province, a level of
// the taxonomy against the one below) give a withheld count back exactly.
// Statistics offices that run flexible table builders answer this in three
// ways: perturb every published count so that differences are noisy (the
// Australian Bureau of Statistics' TableBuilder, cell-key method),
// round every count at random (Statistics Canada's census, base 5), or
// restrict and audit queries. The reports use the first, with the last as
// its backstop (who may ask what is decided where the reports are served;
// every query is audited there):
//
//   - Every report record has a key, RecordKey: a 64-bit hash of its id,
//     which is drawn at random when the contact closes and never
//     published. A cube row keeps the sum of the keys of the records it
//     counts (modulo 2^32, as the ABS method does), beside its count; a
//     scan adds them up with the counts, so every published count, totals
//     included, comes with the key sum of exactly the records it counts:
//     its cell key.
//   - The noise of a count is drawn from its cell key through a fixed
//     perturbation table (noiseTable: 0 with probability 6/20, ±1 with
//     4/20 each, ±2 with 2/20, ±3 with 1/20; mean 0, variance 2.1, at most
//     MaxNoise). The same records always get the same noise, whichever
//     query counts them, so repeating a query, or asking the same set of
//     records another way, gives the same answer and nothing to average.
//     Different sets of records get independent noise, so a difference of
//     two answers is the hidden count plus the difference of two noises
//     (from -6 to +6), not the count. A count of 0 (no records) stays 0; a
//     perturbed count below 0 is published as 0.
//   - Then small counts are withheld: a perturbed count from 1 to 9 is
//     published as null ("x" in CSV). Every entry of a table, its totals
//     included, is perturbed on its own cell key, so the totals are not
//     the sums of the cells shown; subtracting shown cells from a total
//     gives a noisy figure, and no complementary suppression is needed.
//     Rates, shares, the emerging test and the gaps' severity are
//     computed from the perturbed counts, so they tell no more than the
//     counts do.
//   - The node and the hub derive the same key from the same record: the
//     hub's aggregates in its Raft state carry each cell's key sum
//     (hub/fsm), so a region's reports and the province's give the same
//     records the same noise.
//
// The adversary test (adversary_test.go) plants one to five contacts of a
// rare kind among 4,000 and tries every differencing strategy above
// through the HTTP API. With suppression alone each strategy recovers
// the planted count in every world; with perturbation each is exact in
// about one world in five (when the two noises happen to be equal, which
// the adversary cannot tell), and a vote over all of its 19 estimates in
// about one in three.
//
// Limits. Noise bounded by 3 protects a handful of contacts, not a fact
// shared by many; and averaging defeats any bounded noise given enough
// different record sets that each contain the target (Asghar and Kaafar,
// "Averaging attacks on bounded noise-based disclosure control
// algorithms", 2019, on TableBuilder): an adversary who asks hundreds of
// differencing pairs over distinct windows and filters can vote his way
// to the count. That is why flexible reports are for authenticated
// callers whose every query is audited, and why callers without an
// account get only a fixed set of published tables,
// perturbed the same way, among which no such series exists. Keys are a
// hash of the record id: whoever holds the report records (a node's or the
// hub's operators) can compute the noise; they can read the records
// anyway. Aggregates written by a hub before key sums existed read as key
// sum 0 and get one noise for every cell until the state is rebuilt.
//
// Sources: B. Fraser and J. Wooton, "A proposed method for
// confidentialising tabular output to protect against differencing"
// (UNECE/Eurostat work session on statistical data confidentiality,
// Geneva, 2005); G. Thompson, S. Broadfoot and D. Elazar, "Methodology for
// the automatic confidentialisation of statistical outputs from remote
// servers at the Australian Bureau of Statistics" (UNECE/Eurostat work
// session, Ottawa, 2013); WingArc SuperSTAR documentation, "Perturbation:
// how it works" (record keys and the p-table); T. Enderle, the ptable R
// package (maximum-entropy perturbation tables, zero mean, bounded noise);
// Statistics Canada, "2011 Census: Data quality and confidentiality
// standards and guidelines" (random rounding to base 5); M. Asghar and
// D. Kaafar, arXiv:1902.06414 (averaging attacks).
//
// Protection says which method a query uses: Perturbed, the default and
// what every server publishes; Suppressed, exact counts with small ones
// withheld and protected within the table (below), kept for its tests; or
// Exact (suppress=false) for a node's own managers, who may see their
// region's contacts anyway. Config.AllowUnsuppressed lets a request ask
// for suppress=false; the hub leaves it false and answers it with 403.
//
// # Who may ask what
//
// Flexible reports (needs, unmet, top, emerging, gaps) answer any query,
// so they are for callers with an account: the actor the identity
// middleware put in the request's context (o211.ActorFrom), or the one
// Config.Authenticate names (today the API token, as the bootstrap
// administrator). Administrators and analysts may ask; supervisors too,
// on the hub only with region set to their own. Without a credential the
// answer is 401, with another role 403. Every query is recorded by
// Config.Audit before it is answered: a node writes it to its store's
// audit log (action report_query, the actor, the request URI); a hub
// replica logs it and keeps the last thousand in memory (QueryLog), not in
// Raft, since an audit of reads need not cost a consensus write each and
// each replica records what it answered.
//
// Anyone may read the published tables under /api/v1/reports/published:
// needs by region and category, contacts by month and channel, the ten
// most frequent needs at level 2, unmet needs by region, over the twelve
// complete months before the current one, perturbed, with no filter and
// no period to choose. TestAdversary_PublishedTables plants contacts with
// a need no one else has and works their number out of the four tables
// together four ways: on exact tables every way always succeeds; on the
// published ones each is exact in about one world in eight.
//
// # Suppression within one table
//
// Under Suppressed, a published count from 1 to 9 is withheld: in JSON
// its value is null with "suppressed": true, in CSV it is written "x"
// (the Statistics Canada symbol), and rates and other figures derived from
// it are null (JSON) or "x" (CSV). Then enough other counts are withheld
// that none of them can be worked out exactly from the totals published
// with it.
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
