package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/jackc/pgx/v5"
)

// The database comment marks what this provider created; Delete refuses anything else.
const databaseComment = managedKey + "=" + managedValue

type databaseResource struct{ withClients }

type databaseModel struct {
	ID       types.String `tfsdk:"id"`
	Name     types.String `tfsdk:"name"`
	Password types.String `tfsdk:"password"`
}

func newDatabaseResource() resource.Resource { return &databaseResource{} }

func (r *databaseResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + resourcePostgresqlDatabase
}

func (r *databaseResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A PostgreSQL database and its owner role of the same name (login with `password`).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"name": schema.StringAttribute{
				Required: true, Description: "Database and role name.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"password": schema.StringAttribute{Required: true, Sensitive: true, Description: "The role's login password."},
		},
	}
}

func (r *databaseResource) connect(ctx context.Context) (*pgx.Conn, error) {
	if err := r.c.need(attrPostgresURL, r.c.cfg.PostgresURL); err != nil {
		return nil, err
	}
	return pgx.Connect(ctx, r.c.cfg.PostgresURL.ValueString())
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

func literal(value string) string { return "'" + strings.ReplaceAll(value, "'", "''") + "'" }

// databaseState returns whether the database exists and whether it carries our comment.
func databaseState(ctx context.Context, conn *pgx.Conn, name string) (exists, ours bool, err error) {
	var comment *string
	err = conn.QueryRow(ctx,
		"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name).Scan(&comment)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, comment != nil && *comment == databaseComment, nil
}

func roleExists(ctx context.Context, conn *pgx.Conn, name string) (bool, error) {
	var found bool
	err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", name).Scan(&found)
	return found, err
}

// createOrAdopt returns the statements that make the database and its role: new ones, or, when both exist and
// the database carries comind's comment (made by `comind services up` or an earlier state), the same ones taken
// over with this state's password. Anything else of that name is refused, never touched.
func createOrAdopt(ctx context.Context, conn *pgx.Conn, name, password string) ([]string, error) {
	exists, ours, err := databaseState(ctx, conn, name)
	if err != nil {
		return nil, err
	}
	role, err := roleExists(ctx, conn, name)
	if err != nil {
		return nil, err
	}
	switch {
	case exists && !ours:
		return nil, fmt.Errorf("database %q already exists without the comment %q: not taking over what comind did not create", name, databaseComment)
	case exists && !role:
		return nil, fmt.Errorf("database %q exists but its role does not: drop the database or create the role", name)
	case exists:
		return []string{
			fmt.Sprintf("ALTER ROLE %s WITH LOGIN PASSWORD %s", ident(name), literal(password)),
			fmt.Sprintf("ALTER DATABASE %s OWNER TO %s", ident(name), ident(name)),
		}, nil
	case role:
		return nil, fmt.Errorf("role %q already exists without a comind database of that name: not taking it over", name)
	}
	return []string{
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD %s", ident(name), literal(password)),
		fmt.Sprintf("CREATE DATABASE %s OWNER %s", ident(name), ident(name)),
		fmt.Sprintf("REVOKE ALL ON DATABASE %s FROM PUBLIC", ident(name)),
		fmt.Sprintf("COMMENT ON DATABASE %s IS %s", ident(name), literal(databaseComment)),
	}, nil
}

func (r *databaseResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m databaseModel
	conn, err := r.connect(ctx)
	if conn != nil {
		defer conn.Close(ctx)
	}
	if !load(ctx, req.Plan, &m, &resp.Diagnostics, "postgresql", err) {
		return
	}
	name := m.Name.ValueString()
	statements, err := createOrAdopt(ctx, conn, name, m.Password.ValueString())
	if err != nil {
		fail(&resp.Diagnostics, "postgresql", err.Error())
		return
	}
	for _, sql := range statements {
		if _, err := conn.Exec(ctx, sql); err != nil {
			fail(&resp.Diagnostics, "postgresql", fmt.Sprintf("%s: %v", strings.SplitN(sql, " PASSWORD", 2)[0], err))
			return
		}
	}
	m.ID = types.StringValue(name)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *databaseResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m databaseModel
	conn, err := r.connect(ctx)
	if conn != nil {
		defer conn.Close(ctx)
	}
	if !load(ctx, req.State, &m, &resp.Diagnostics, "postgresql", err) {
		return
	}
	exists, _, err := databaseState(ctx, conn, m.Name.ValueString())
	if err != nil {
		fail(&resp.Diagnostics, "postgresql", err.Error())
		return
	}
	if !exists {
		resp.State.RemoveResource(ctx)
	}
}

func (r *databaseResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m databaseModel
	conn, err := r.connect(ctx)
	if conn != nil {
		defer conn.Close(ctx)
	}
	if !load(ctx, req.Plan, &m, &resp.Diagnostics, "postgresql", err) {
		return
	}
	sql := fmt.Sprintf("ALTER ROLE %s PASSWORD %s", ident(m.Name.ValueString()), literal(m.Password.ValueString()))
	if _, err := conn.Exec(ctx, sql); err != nil {
		fail(&resp.Diagnostics, "postgresql", fmt.Sprintf("ALTER ROLE: %v", err))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *databaseResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m databaseModel
	conn, err := r.connect(ctx)
	if conn != nil {
		defer conn.Close(ctx)
	}
	if !load(ctx, req.State, &m, &resp.Diagnostics, "postgresql", err) {
		return
	}
	name := m.Name.ValueString()
	exists, ours, err := databaseState(ctx, conn, name)
	if err != nil {
		fail(&resp.Diagnostics, "postgresql", err.Error())
		return
	}
	if exists && !ours {
		fail(&resp.Diagnostics, "postgresql", fmt.Sprintf("database %q lacks the comment %q: not deleting what comind did not create", name, databaseComment))
		return
	}
	statements := []string{
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " + literal(name),
		"DROP DATABASE IF EXISTS " + ident(name),
		"DROP ROLE IF EXISTS " + ident(name),
	}
	for _, sql := range statements {
		if _, err := conn.Exec(ctx, sql); err != nil {
			fail(&resp.Diagnostics, "postgresql", fmt.Sprintf("%s: %v", sql, err))
			return
		}
	}
}
