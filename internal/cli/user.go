package cli

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drover-ml/drover/api"
)

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage users (admins): create, list, revoke, token, passwd, set"}
	var admin bool
	create := &cobra.Command{
		Use:   "create NAME [--admin]",
		Short: "Create a user and print its API token (shown this once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			t, err := g.client().CreateUser(c.Context(), args[0], admin)
			if err != nil {
				return err
			}
			return printToken(g, t)
		},
	}
	create.Flags().BoolVar(&admin, "admin", false, "the user may see and act on everything, and manage users")
	list := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			users, err := g.client().ListUsers(c.Context())
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, users)
			}
			rows := make([][]string, 0, len(users))
			for _, u := range users {
				state := "active"
				if u.RevokedAt != nil {
					state = "revoked"
				}
				rows = append(rows, []string{u.Name, fmt.Sprint(u.Admin), limit(u.MaxRunning), limit(u.MaxQueued), orDash(u.MaxPriority), fmt.Sprint(u.HasPassword), state})
			}
			table(g.stdout, []string{"NAME", "ADMIN", "MAX RUNNING", "MAX QUEUED", "MAX PRIORITY", "PASSWORD", "STATE"}, rows)
			return nil
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a user's token (and password login)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			u, err := g.client().RevokeUser(c.Context(), args[0])
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, u)
			}
			fmt.Fprintf(g.stdout, "user %s revoked\n", u.Name)
			return nil
		},
	}
	token := &cobra.Command{
		Use:   "token NAME",
		Short: "Give a user a new API token; the old one stops working",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			t, err := g.client().RotateToken(c.Context(), args[0])
			if err != nil {
				return err
			}
			return printToken(g, t)
		},
	}
	passwd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a user's web UI password, read from standard input (stored with bcrypt)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			line, err := bufio.NewReader(c.InOrStdin()).ReadString('\n')
			pw := strings.TrimRight(line, "\r\n")
			if pw == "" {
				return usageErr("user passwd reads the password from standard input: echo '...' | drover user passwd %s (%v)", args[0], err)
			}
			u, err := g.client().SetPassword(c.Context(), args[0], pw)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, u)
			}
			fmt.Fprintf(g.stdout, "password of %s set\n", u.Name)
			return nil
		},
	}
	var maxRunning, maxQueued int
	var maxPriority string
	set := &cobra.Command{
		Use:   "set NAME [--max-running N] [--max-queued N] [--max-priority high|normal|low]",
		Short: "Set a user's quotas (0 = unlimited, -1 = the server's default) and highest priority",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var l api.UserLimits
			if c.Flags().Changed("max-running") {
				l.MaxRunning = &maxRunning
			}
			if c.Flags().Changed("max-queued") {
				l.MaxQueued = &maxQueued
			}
			if c.Flags().Changed("max-priority") {
				l.MaxPriority = &maxPriority
			}
			if l == (api.UserLimits{}) {
				return usageErr("user set needs --max-running, --max-queued or --max-priority")
			}
			u, err := g.client().SetUserLimits(c.Context(), args[0], l)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, u)
			}
			fmt.Fprintf(g.stdout, "%s: max running %s, max queued %s, max priority %s\n", u.Name, limit(u.MaxRunning), limit(u.MaxQueued), orDash(u.MaxPriority))
			return nil
		},
	}
	fl := set.Flags()
	fl.IntVar(&maxRunning, "max-running", 0, "experiments the user may run at once (0 = unlimited, -1 = max_running_per_user)")
	fl.IntVar(&maxQueued, "max-queued", 0, "experiments the user may have queued (0 = unlimited, -1 = max_queued_per_user)")
	fl.StringVar(&maxPriority, "max-priority", "", "highest priority the user may ask for")
	cmd.AddCommand(create, list, revoke, token, passwd, set)
	return cmd
}

func printToken(g *globals, t *api.NewUserToken) error {
	if g.json {
		return printJSON(g.stdout, map[string]string{"name": t.Name, "token": t.Token})
	}
	fmt.Fprintf(g.stdout, "user %s\ntoken %s\n(shown once: give it to the user; drover user token %s makes a new one)\n", t.Name, t.Token, t.Name)
	return nil
}

func limit(n int) string {
	switch {
	case n < 0:
		return "default"
	case n == 0:
		return "unlimited"
	}
	return fmt.Sprint(n)
}
