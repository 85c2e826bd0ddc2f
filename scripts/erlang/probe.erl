%% probe: the Erlang side of taskbench's `erlang` row (src/models/probe/erlang.rs), one BEAM process per task,
%% speaking scripts/probe-protocol.md on stdin/stdout. Run as `erl -noshell +P <limit> -pa <dir> -s probe main`.
%%
%% hello pid=<os pid> otp=<release> erts=<version> schedulers=<online> process_limit=<+P>
%%
%% heap= is erlang:memory(processes) + erlang:memory(binary), read after erlang:garbage_collect/1 on every
%% process: the memory the VM allocates for processes (control block, heap and stack, which share one block,
%% message queues) plus off-heap (refc) binaries. A fresh process's heap is the 233-word minimum; there is no
%% separate stack figure. The pids of the parked processes are kept in a list in the probe's own process
%% (16 B per task), which is in this figure too.
%% hold=K: each process makes its own K-byte binary of 0x5a (binary:copy/2); over 64 bytes a binary is
%% refc'd and lives off-heap (in memory(binary), with a ProcBin on the process heap), so both terms are summed.
%% After release each process reads every byte back and adds them to `held`.
%% The gate is a `go` message sent to each parked process (BEAM has no shared wait point); handoff passes
%% the token by message to the next pid of the ring; yield calls erlang:yield() K times.
%% Every wait is bounded by limit_ms: on timeout the probe replies `error ...` and halts.
-module(probe).
-export([main/0]).

main() ->
    Hello = io_lib:format("hello pid=~s otp=~s erts=~s schedulers=~b process_limit=~b~n",
                          [os:getpid(), erlang:system_info(otp_release), erlang:system_info(version),
                           erlang:system_info(schedulers_online), erlang:system_info(process_limit)]),
    io:put_chars(Hello),
    loop(idle).

reply(Fmt, Args) -> io:put_chars(io_lib:format(Fmt ++ "~n", Args)).

fail(Msg) -> reply("error ~s", [Msg]), erlang:halt(1).

loop(State) ->
    case io:get_line("") of
        eof -> erlang:halt(0);
        {error, _} -> erlang:halt(1);
        Line ->
            [Cmd | Rest] = case string:lexemes(Line, " \r\n") of [] -> [""]; L -> L end,
            loop(request(Cmd, [list_to_integer(hd(Rest)) || Rest =/= [], is_num(hd(Rest))],
                         fields(Rest), Rest, State))
    end.

is_num(S) -> lists:all(fun(C) -> C >= $0 andalso C =< $9 end, S).

fields(Words) ->
    maps:from_list([{K, list_to_integer(V)} || W <- Words, [K, V] <- [string:split(W, "=")], is_num(V)]).

new_counts() -> atomics:new(5, [{signed, false}]).   % 1 arrived, 2 finished, 3 held, 4 handoffs/yields, 5 ooo

too_many(N) -> N > erlang:system_info(process_limit) - erlang:system_info(process_count) - 16.

request("parked", [N], F, _, idle) ->
    Limit = maps:get("limit_ms", F, 60000),
    Hold = maps:get("hold", F, 0),
    case too_many(N) of
        true -> reply("error ~b processes exceed the process limit ~b (+P)", [N, erlang:system_info(process_limit)]),
                idle;
        false -> reply("baseline heap=~b", [memory()]), {baseline, N, Limit, Hold}
    end;
request("spawn", _, _, Rest, {baseline, N, Limit, Hold}) ->
    C = new_counts(), Self = self(),
    Body = parked_body(Self, C, N, Hold),
    T0 = erlang:monotonic_time(nanosecond),
    Pids = spawn_n(N, Body, []),
    T1 = erlang:monotonic_time(nanosecond),
    wait(all_arrived, N, Limit, "processes to park"),
    Heap = case Rest of ["nomem" | _] -> 0; _ -> memory() end,
    reply("parked spawn_ns=~b arrived=~b heap=~b processes=~b",
          [T1 - T0, atomics:get(C, 1), Heap, erlang:system_info(process_count)]),
    {parked, N, Limit, C, Pids};
request("release", _, _, _, {parked, N, Limit, C, Pids}) ->
    [P ! go || P <- Pids],
    wait(all_done, N, Limit, "released processes to finish"),
    reply("joined finished=~b held=~b", [atomics:get(C, 2), atomics:get(C, 3)]),
    idle;
request("abort", _, _, _, {parked, _, _, C, Pids}) ->
    [exit(P, kill) || P <- Pids],
    reply("aborted finished=~b", [atomics:get(C, 2)]), idle;
request("abort", _, _, _, _) -> reply("aborted finished=0", []), idle;
request("spawn_join", [N], F, _, idle) ->
    check_limit(N),
    C = new_counts(), Self = self(),
    Body = fun() -> done(Self, C, N) end,
    T0 = erlang:monotonic_time(nanosecond),
    spawn_n(N, Body, []),
    wait(all_done, N, maps:get("limit_ms", F, 60000), "spawn_join processes"),
    T1 = erlang:monotonic_time(nanosecond),
    reply("spawn_join ns=~b finished=~b", [T1 - T0, atomics:get(C, 2)]), idle;
request("handoff", [N], F, _, idle) when N >= 2 ->
    check_limit(N),
    Laps = maps:get("laps", F, 1), Limit = maps:get("limit_ms", F, 60000),
    C = new_counts(), Self = self(),
    Pids = [spawn(fun() -> link(Self, C, N, I, Laps) end) || I <- lists:seq(0, N - 1)],
    [P ! {next, Next} || {P, Next} <- lists:zip(Pids, tl(Pids) ++ [hd(Pids)])],
    wait(all_arrived, N, Limit, "ring processes to start"),
    T0 = erlang:monotonic_time(nanosecond),
    hd(Pids) ! {tok, 0},
    wait(all_done, N, Limit, "the ring to finish"),
    T1 = erlang:monotonic_time(nanosecond),
    reply("handoff ns=~b handoffs=~b out_of_order=~b finished=~b",
          [T1 - T0, atomics:get(C, 4), atomics:get(C, 5), atomics:get(C, 2)]), idle;
request("yield", [N], F, _, idle) ->
    check_limit(N),
    K = maps:get("yields", F, 1), Limit = maps:get("limit_ms", F, 60000),
    C = new_counts(), Self = self(),
    Body = fun() -> arrive(Self, C, N), receive go -> ok end,
                    yield_n(K), atomics:add(C, 4, K), done(Self, C, N) end,
    Pids = spawn_n(N, Body, []),
    wait(all_arrived, N, Limit, "yield processes to start"),
    T0 = erlang:monotonic_time(nanosecond),
    [P ! go || P <- Pids],
    wait(all_done, N, Limit, "yield processes to finish"),
    T1 = erlang:monotonic_time(nanosecond),
    reply("yield ns=~b yields=~b finished=~b", [T1 - T0, atomics:get(C, 4), atomics:get(C, 2)]), idle;
request(Cmd, _, _, _, State) ->
    reply("error cannot serve ~s here", [Cmd]), State.

check_limit(N) ->
    case too_many(N) of
        true -> fail(io_lib:format("~b processes exceed the process limit ~b (+P)",
                                   [N, erlang:system_info(process_limit)]));
        false -> ok
    end.

%% The memory reading: every process collected, then the VM's process and binary memory.
memory() ->
    [erlang:garbage_collect(P) || P <- erlang:processes()],
    erlang:memory(processes) + erlang:memory(binary).

spawn_n(0, _, Acc) -> Acc;
spawn_n(N, Body, Acc) -> spawn_n(N - 1, Body, [spawn(Body) | Acc]).

%% A parked process: hold its K bytes, count itself, wait for `go`, read the bytes back, count itself done.
parked_body(Coord, C, N, 0) ->
    fun() -> arrive(Coord, C, N), receive go -> ok end, done(Coord, C, N) end;
parked_body(Coord, C, N, Hold) ->
    fun() ->
        B = binary:copy(<<16#5a>>, Hold),
        arrive(Coord, C, N),
        receive go -> ok end,
        atomics:add(C, 3, sum(B, 0)),
        done(Coord, C, N)
    end.

sum(<<X, R/binary>>, A) -> sum(R, A + X);
sum(<<>>, A) -> A.

arrive(Coord, C, N) ->
    case atomics:add_get(C, 1, 1) of N -> Coord ! all_arrived; _ -> ok end.

done(Coord, C, N) ->
    case atomics:add_get(C, 2, 1) of N -> Coord ! all_done; _ -> ok end.

wait(Msg, N, Limit, What) when N > 0 ->
    receive Msg -> ok
    after Limit -> fail(io_lib:format("timed out after ~b ms waiting for ~s", [Limit, What]))
    end;
wait(_, _, _, _) -> ok.

%% Ring member I: receive the token Laps times, count it out of order unless its sequence number is I mod N.
link(Coord, C, N, I, Laps) ->
    receive {next, Next} -> ok end,
    arrive(Coord, C, N),
    Ooo = ring(Next, N, I, Laps, N * Laps, 0),
    atomics:add(C, 4, Laps), atomics:add(C, 5, Ooo),
    done(Coord, C, N).

%% Total is N * Laps: the last hand-off's receiver sends nothing on.
ring(_, _, _, 0, _, Ooo) -> Ooo;
ring(Next, N, I, Laps, Total, Ooo) ->
    receive {tok, S} ->
        if S + 1 < Total -> Next ! {tok, S + 1}; true -> ok end,
        ring(Next, N, I, Laps - 1, Total, Ooo + (if S rem N =:= I -> 0; true -> 1 end))
    end.

yield_n(0) -> ok;
yield_n(K) -> erlang:yield(), yield_n(K - 1).
