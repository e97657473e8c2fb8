//! Built-in phrase lists (the defaults of [`crate::PhraseLists`]) and the words that make a
//! ticker or a one-word alias ambiguous. A trailing `*` on a phrase matches any word ending
//! (`acqui*` covers acquire, acquired, acquisition).

/// Phrases that on their own say the content is material non-public information.
pub const MNPI: &[&str] = &[
    "material non-public",
    "material nonpublic",
    "non-public information",
    "nonpublic information",
    "MNPI",
    "inside information",
    "insider information",
    "not yet public",
    "not public yet",
    "isn't public yet",
    "is not public",
    "before the announcement",
    "ahead of the announcement",
    "prior to the announcement",
    "before it is announced",
    "before it's announced",
    "before we announce",
    "before they announce",
    "has not been announced",
    "hasn't been announced",
    "not been announced",
    "not yet announced",
    "yet to be announced",
    "under embargo",
    "embargoed",
    "wall-crossed",
    "wall crossed",
    "over the wall",
    "wall-cross",
    "strictly confidential",
    "do not share",
    "don't share this",
    "keep this quiet",
    "before the market knows",
    "before the street knows",
    "not been disclosed",
    "not yet disclosed",
    "hasn't been disclosed",
    "pre-announcement",
];

/// Earnings vocabulary; labels text only near a watch-list issuer or an MNPI phrase.
pub const EARNINGS: &[&str] = &[
    "earnings",
    "revenue",
    "revenues",
    "EPS",
    "earnings per share",
    "guidance",
    "outlook",
    "forecast",
    "profit",
    "profits",
    "net income",
    "operating income",
    "EBITDA",
    "margin",
    "margins",
    "quarterly results",
    "quarterly numbers",
    "quarter",
    "Q1",
    "Q2",
    "Q3",
    "Q4",
    "full-year",
    "full year",
    "results",
    "numbers",
    "beat",
    "miss",
    "missed",
    "consensus",
    "estimates",
    "write-down",
    "writedown",
    "impairment",
    "restatement",
    "restate*",
    "profit warning",
    "dividend cut",
    "sales figures",
    "same-store sales",
    "bookings",
];

/// Deal vocabulary; labels text only near a watch-list issuer or an MNPI phrase.
pub const DEAL: &[&str] = &[
    "acqui*",
    "merger",
    "merge",
    "merging",
    "takeover",
    "take over",
    "take-private",
    "tender offer",
    "bid for",
    "bidding for",
    "buyout",
    "LBO",
    "LOI",
    "letter of intent",
    "term sheet",
    "due diligence",
    "synergies",
    "deal",
    "offer price",
    "per share in cash",
    "premium to",
    "divest*",
    "spin-off",
    "spinoff",
    "carve-out",
    "approach",
    "stake in",
    "fairness opinion",
    "definitive agreement",
    "break fee",
    "go-shop",
    "hostile bid",
];

/// Phrases that describe the firm's or a client's positions and orders.
pub const TRADING_POSITION: &[&str] = &[
    "our position in",
    "our positions in",
    "position in",
    "we are long",
    "we're long",
    "we are short",
    "we're short",
    "net long",
    "net short",
    "long position",
    "short position",
    "the desk is long",
    "the desk is short",
    "desk holds",
    "our book",
    "the book is long",
    "the book is short",
    "block trade",
    "working an order",
    "client order",
    "parent order",
    "stop loss at",
    "average cost",
    "unrealized P&L",
    "realized P&L",
    "inventory of",
    "axe in",
    "we hold",
    "our holdings of",
    "our exposure to",
    "position limit",
    "VaR limit",
];

/// Phrases about filings that are not public yet or are confidential by law.
pub const REGULATORY_FILING: &[&str] = &[
    "draft 10-K",
    "draft 10-Q",
    "draft 8-K",
    "draft S-1",
    "draft S-4",
    "draft proxy",
    "draft registration statement",
    "confidential draft submission",
    "suspicious activity report",
    "SAR filing",
    "SAR narrative",
    "filed a SAR",
    "file a SAR",
    "not yet filed",
    "unfiled",
    "before we file",
    "before the filing",
    "ahead of the filing",
    "confidential treatment request",
    "pre-filing",
    "draft filing",
    "currency transaction report",
    "draft call report",
    "draft 13F",
    "draft Schedule 13D",
    "Form 8-K draft",
    "10-K draft",
    "10-Q draft",
];

/// Protected health information vocabulary.
pub const PHI: &[&str] = &[
    "diagnosed with",
    "diagnosis of",
    "medical record number",
    "MRN",
    "patient ID",
    "patient identifier",
    "prescribed",
    "prescription for",
    "ICD-10",
    "treatment for",
    "chemotherapy",
    "HIV positive",
    "HIV-positive",
    "blood test results",
    "lab results",
    "medical history",
    "health insurance claim",
    "discharge summary",
    "psychiatric",
    "mental health condition",
    "admitted to hospital",
    "admitted to the hospital",
    "date of admission",
    "clinical notes",
    "medication list",
];

/// Context words that make a bare digit run an account number.
pub const CTX_ACCOUNT: &[&str] = &[
    "account",
    "accounts",
    "acct",
    "account number",
    "account no",
    "checking",
    "savings",
    "beneficiary",
    "deposit account",
    "a/c",
];
/// Context words for ABA routing numbers.
pub const CTX_ROUTING: &[&str] = &[
    "routing",
    "ABA",
    "RTN",
    "transit number",
    "routing number",
    "wire to",
];
/// Context words for a nine-digit SSN written without separators.
pub const CTX_SSN: &[&str] = &[
    "SSN",
    "SSNs",
    "social security",
    "social security number",
    "taxpayer id",
    "TIN",
];
/// Context words that make a security identifier part of a position or order.
pub const CTX_SECURITY: &[&str] = &[
    "ISIN",
    "position",
    "positions",
    "holding",
    "holdings",
    "shares",
    "bonds",
    "notional",
    "bought",
    "sold",
    "buy",
    "sell",
    "long",
    "short",
    "book",
    "portfolio",
    "exposure",
    "lots",
    "par",
    "order",
    "trade",
    "traded",
];
/// Context words that make nine bare digits with a CUSIP check digit a CUSIP.
pub const CTX_CUSIP: &[&str] = &["CUSIP", "CUSIPs", "cusip"];
/// Context words that make a security identifier part of a filing.
pub const CTX_FILING: &[&str] = &[
    "13F",
    "13D",
    "13G",
    "10-K",
    "10-Q",
    "8-K",
    "Form 4",
    "S-1",
    "prospectus",
    "filing",
    "filings",
    "filed",
    "SEC",
    "EDGAR",
    "schedule",
];

/// Credential markers: (marker, minimum tail length after it; 0 = the marker is enough).
pub const SECRET_MARKERS: &[(&str, usize)] = &[
    ("-----BEGIN PRIVATE KEY-----", 0),
    ("-----BEGIN RSA PRIVATE KEY-----", 0),
    ("-----BEGIN EC PRIVATE KEY-----", 0),
    ("-----BEGIN DSA PRIVATE KEY-----", 0),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", 0),
    ("-----BEGIN ENCRYPTED PRIVATE KEY-----", 0),
    ("-----BEGIN PGP PRIVATE KEY BLOCK-----", 0),
    ("AKIA", 16),
    ("ASIA", 16),
    ("ghp_", 16),
    ("gho_", 16),
    ("github_pat_", 16),
    ("glpat-", 16),
    ("xoxb-", 16),
    ("xoxp-", 16),
    ("sk-ant-", 16),
    ("sk-proj-", 16),
    ("sk_live_", 16),
    ("rk_live_", 16),
    ("AIza", 30),
];

/// Words (upper-cased) that a ticker or one-word alias may collide with in ordinary prose: the
/// most common English words plus finance and business acronyms. Such tickers only match as a
/// cashtag (`$ALL`) or exchange-qualified (`NYSE: ALL`); such aliases only with their exact
/// capitalization.
pub const COMMON_WORDS: &str = "A I AN AS AT BE BY DO GO HE IF IN IS IT ME MY NO OF ON OR SO TO UP US WE \
    ALL AND ANY ARE BIG BOY BUT CAN CAR CAT DAY DID DOG EAT FAR FEW FOR FUN GET GOT HAD HAS HER HIM \
    HIS HOT HOW ITS KEY LET LOW MAN MAY NEW NOT NOW OLD ONE OUR OUT OWN PAY PUT RUN SAW SAY SEE SET \
    SHE SIX SUN TEN THE TOO TOP TRY TWO USE WAS WAY WHO WHY WIN YES YET YOU AGO AIR ART BAD BED BOX \
    BUY CUT END EYE FIT FLY GAS HIT JOB LAW LEG LIE LOT MIX OIL OFF PEN PET RED ROW SEA SIT SKY SON \
    TAX TEA TIE TIP VAN WAR WET WIDE ABLE ALSO AREA AWAY BACK BANK BASE BEST BODY BOOK BOTH CALL \
    CARE CASE CASH CITY COME COST DATA DEAL DOOR DOWN EACH EAST EASY EVEN EVER FACE FACT FALL FAST \
    FEEL FIND FIRM FIVE FORM FOUR FREE FROM FULL FUND GAME GAVE GIVE GOOD GROW HALF HAND HARD HAVE \
    HEAD HEAR HELP HERE HIGH HOLD HOME HOPE HOUR IDEA INTO JUST KEEP KIND KNOW LAND LAST LATE LEAD \
    LEFT LESS LIFE LIKE LINE LIST LIVE LONG LOOK LOSE LOVE MADE MAIN MAKE MANY MARK MEAN MEET MIND \
    MISS MORE MOST MOVE MUCH MUST NAME NEAR NEED NEXT NICE NONE NOTE ONCE ONLY OPEN OVER PAGE PART \
    PAST PATH PLAN PLAY PLUS POOL POST PULL PUSH RATE READ REAL REST RICH RISE RISK ROAD ROCK ROLE \
    ROOM RULE SAFE SAID SALE SAME SAVE SEEM SELF SELL SEND SHIP SHOP SHOW SIDE SIGN SITE SIZE SLOW \
    SOME SOON STAR STAY STEP STOP SUCH SURE TAKE TALK TEAM TELL TERM TEST THAN THAT THEM THEN THEY \
    THIS TIME TOLD TOOK TOWN TRUE TURN TYPE UNIT UPON USED VERY VIEW WAIT WALK WALL WANT WEEK WELL \
    WENT WERE WEST WHAT WHEN WILL WITH WORD WORK YEAR YOUR ZERO ABOUT AFTER AGAIN ALONG BEING BELOW \
    BRING BUILD CARRY CAUSE CHECK CLEAR CLOSE COULD COVER EARLY EVERY FIRST FOUND GIVEN GOING GREAT \
    GROUP HAPPY HEART HOUSE LARGE LATER LEARN LEVEL LIGHT MIGHT MONEY MONTH NEVER NIGHT OFTEN ORDER \
    OTHER PARTY PLACE POINT POWER PRICE QUITE RIGHT ROUND SHALL SHARE SHORT SINCE SMALL SOUND SPEND \
    STAND START STILL STOCK STORE STORY THEIR THERE THESE THING THINK THREE TODAY TOTAL TRADE UNDER \
    UNTIL USUAL VALUE WATCH WATER WHERE WHICH WHILE WHOLE WORLD WOULD WRITE YOUNG \
    AI API ATM CEO CFO COO CTO CPI DNA EPS ESG ETF EU EUR FAQ FDA FED FX GBP GDP HR IPO IR IRS IT \
    LLC LTD MBA NYSE OTC PDF PLC PR QA SEC SPAC TV UK USA USD VAT VP OK Q1 Q2 Q3 Q4 FY YOY QOQ";
