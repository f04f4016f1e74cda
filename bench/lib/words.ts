/**
 * The fixed vocabulary of the search corpus (bench/lib/search-corpus.ts): ordinary English of chat and support
 * conversations, roughly most frequent first, since words are drawn with a Zipf-like skew toward the head of
 * the list. Plain lowercase ASCII letters only (the JSON and the tsvector need no escaping).
 */
export const WORDS: readonly string[] = `
the to and a of i you is in it that for this on be with your can my have are not what do as if how
we at or but will so me an about from there would like just they all was use get one which need should
could when more some time help make out up any also then work know data here new way file only see want
please thanks into them code other set first try error now user because change using check their these
run model does thing question still most same back well each server example value test just think good
find request page name list text issue sure look two where after sorry over many order version answer
update point without step right long number system different problem case able add able why process call
first next able build create start while write next help even table function return send last support
account password reset email message report price plan team project review document service customer
payment invoice order delivery address phone meeting schedule today tomorrow week month year morning
evening hour minute second day date time zone calendar event reminder note summary draft final version
copy paste click button screen window menu option setting profile image photo video audio link share
download upload folder drive storage cloud backup restore sync device laptop mobile browser network
wifi connection login logout session token key secret access permission role admin group member
invite join leave remove delete archive search filter sort query result record field column row sheet
chart graph report dashboard metric trend growth sales revenue cost budget expense profit margin
forecast target goal strategy market product feature release launch roadmap sprint task ticket bug fix
patch deploy branch merge commit repository pipeline build test review approve reject comment reply
thread chat conversation assistant answer explain describe compare suggest recommend translate rewrite
shorten expand improve correct proofread format convert calculate estimate analyze predict classify
extract generate create design plan organize prioritize remind notify confirm cancel refund return
exchange ship track package warehouse stock inventory supplier vendor contract agreement policy terms
privacy security compliance audit risk incident outage latency timeout retry limit quota capacity scale
memory disk cpu load traffic request response status health monitor alert log trace debug config
environment variable parameter argument option flag default custom template sample example tutorial
guide manual documentation reference article blog post recipe ingredient cook bake dinner lunch
breakfast coffee tea water travel flight hotel train ticket booking trip vacation weather rain sun
snow cold warm city country street house room office school class lesson course exam homework study
learn teach student teacher book chapter story poem song music movie game sport team player score
health doctor appointment medicine symptom exercise sleep diet weight habit routine family friend
child parent birthday gift party wedding holiday weekend money bank card loan tax salary job career
interview resume skill experience company manager colleague client partner vendor stakeholder quarter
annual monthly weekly daily quickly slowly carefully simply clearly exactly probably actually really
important urgent simple complex small large short long early late fast slow easy hard better best
worse worst happy sorry great nice fine correct wrong missing broken empty full open closed public
private local remote online offline available pending active inactive enabled disabled valid invalid
`
  .split(/\s+/)
  .filter((word, i, all) => word.length > 0 && all.indexOf(word) === i);

/** Syllables of the rare names (three of them: 4,096 names, each in a few dozen messages of a million). */
export const SYLLABLES: readonly string[] = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'zi', 'be', 'do', 'fa', 'gu', 'hi', 'jo', 'pe', 'su'];

/** Phrases that some messages hold word for word (an exact-phrase search finds them, and pairs that merely share words). */
export const PHRASES: readonly string[] = [
  'reset my password',
  'the invoice is missing',
  'cancel my order',
  'the build failed',
  'schedule a meeting',
  'explain this error',
  'translate this document',
  'summarise the report',
];
