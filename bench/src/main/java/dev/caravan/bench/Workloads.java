package dev.caravan.bench;

/**
 * One side of {@link WorkloadsBench}: issue 13's workloads, run by Caravan or by hand-written Camel routes. Every
 * method checks every result after its clock stopped and counts the wrong ones in {@link #checks()}; failing to pause
 * or to resume throws {@link IllegalStateException}.
 */
interface Workloads {

    /** The W1 diamond's expected result: {@code join = a + "+" + b}. */
    String DIAMOND_RESULT = FakeChatModel.REPLY + "+" + FakeChatModel.REPLY;
    /** The input text of every diamond run. */
    String INPUT = "ticket";

    String name();

    /** W1a: {@code runs} diamonds one after another on the caller's thread; wall nanoseconds. */
    long diamondSequential(int runs) throws Exception;

    /** W1b: {@code runs} diamonds started asynchronously, {@code inFlight} at a time; wall nanoseconds. */
    long diamondInFlight(int runs, int inFlight) throws Exception;

    /** W2: {@code runs} runs one after another, each paused at its gate and resumed by id; median nanoseconds. */
    long pauseResumeMedian(int runs) throws Exception;

    /**
     * W2: retained heap per paused run with {@code runs} paused (collected heap before and while they wait); resumes
     * them all afterwards.
     */
    double bytesPerPausedRun(int runs) throws Exception;

    /** W3: {@code runs} slow-model diamonds, {@code inFlight} at a time; wall nanoseconds. */
    long slowInFlight(int runs, int inFlight) throws Exception;

    /** The wrong results so far. */
    Checks checks();
}
