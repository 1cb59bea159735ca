package dev.caravan.run;

import dev.caravan.state.RunPage;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading whole listings of runs in tests: every page of a query, and the ids of runs in order. */
final class RunPages {

    private RunPages() {
    }

    /** Every run the query selects, page after page; a page that says more follow is never empty. */
    static List<RunRecord> all(RunQueries queries, RunQuery query) {
        List<RunRecord> out = new ArrayList<>();
        RunPage page = queries.page(query);
        out.addAll(page.runs());
        while (page.next() != null) {
            page = queries.page(query.after(page.next()));
            assertThat(page.runs()).isNotEmpty();
            out.addAll(page.runs());
        }
        return out;
    }

    static List<String> ids(List<RunRecord> runs) {
        return runs.stream().map(RunRecord::runId).toList();
    }
}
