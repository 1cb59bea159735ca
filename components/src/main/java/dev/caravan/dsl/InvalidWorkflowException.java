package dev.caravan.dsl;

import dev.caravan.CaravanException;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A workflow file that cannot be loaded. The message lists every problem, one per line, as
 * {@code file:line:column: message}.
 */
public class InvalidWorkflowException extends CaravanException {

    private static final long serialVersionUID = 1L;

    private final transient List<Problem> problems;

    public InvalidWorkflowException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    /** Every problem of the file, in file order. */
    public List<Problem> problems() {
        return problems;
    }

    @Override
    public String code() {
        return "WORKFLOW_INVALID";
    }
}
