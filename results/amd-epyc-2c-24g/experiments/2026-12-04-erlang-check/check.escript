#!/usr/bin/env escript
%% Independent of the probe: spawn 10^5 processes parked in receive, read erlang:memory(processes) and
%% VmRSS (/proc/self/status) before and after, each after a GC of every process; print the deltas per process.
%% Compiled, not interpreted: an interpreted (erl_eval) fun parks with ~21 KB of evaluator state per process.
-mode(compile).
main(_) ->
    N = 100000,
    {P0, R0} = reading(),
    Pids = [spawn(fun() -> receive go -> ok end end) || _ <- lists:seq(1, N)],
    {P1, R1} = reading(),
    io:format("otp=~s processes=~b~n", [erlang:system_info(otp_release), N]),
    io:format("memory(processes): ~b -> ~b, ~.1f B per process~n", [P0, P1, (P1 - P0) / N]),
    io:format("VmRSS: ~b -> ~b kB, ~.1f B per process~n", [R0, R1, (R1 - R0) * 1024 / N]),
    [P ! go || P <- Pids].

reading() ->
    [erlang:garbage_collect(P) || P <- erlang:processes()],
    {erlang:memory(processes), rss_kb()}.

rss_kb() ->
    {ok, B} = file:read_file("/proc/self/status"),
    [L] = [L || L <- binary:split(B, <<"\n">>, [global]), binary:match(L, <<"VmRSS:">>) =/= nomatch],
    [_, V | _] = binary:split(L, [<<" ">>, <<"\t">>], [global, trim_all]),
    binary_to_integer(V).
